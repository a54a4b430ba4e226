/**
 * Re-decides Pages' health from what is stored about their tokens, without a Graph call
 * (after a call fails with 190/102, after a deauthorize). Writes the new status,
 * reason, fix and warning; a change of status appends one `page_status_changed` audit row.
 *
 * Concurrent re-judgements of one Page are serialised by the Page row (FOR UPDATE on
 * PostgreSQL; SQLite runs one write transaction at a time), so a change is recorded once.
 */
import type { StoreRepositories } from '../store/create-store.js';
import type { PageKeeperContext } from '../context.js';
import { pageHealthFromStore } from './page-health-from-store.js';
import type { PageStatus } from '../core/types.js';

export interface RejudgedPage {
  pageId: string;
  previousStatus: PageStatus;
  status: PageStatus;
  reason: string | null;
  fix: string | null;
  warning: string | null;
  validTokens: number;
  lostTokens: number;
}

export interface RejudgeCause {
  /** What triggered it, for the audit row: `graph_call`, `deauthorize`, `check`, `connect`. */
  source: string;
  /** The user whose token changed, when one did. */
  userId?: string | null;
  /** Written as the Page's last check time when given. */
  checkedAt?: Date;
}

export async function rejudgePage(tx: StoreRepositories, ctx: Pick<PageKeeperContext, 'clock' | 'config'>, pageId: string, cause: RejudgeCause): Promise<RejudgedPage | undefined> {
  await tx.pages.lockForUpdate(pageId);
  const page = await tx.pages.getWithTokens(pageId);
  if (!page || page.removedAt !== null) return undefined;
  const userTokenExpiresAt: Record<string, Date | null> = {};
  for (const t of page.tokens) {
    const user = await tx.users.get(t.userId);
    userTokenExpiresAt[t.userId] = user && user.status === 'valid' ? user.tokenExpiresAt : null;
  }
  const health = pageHealthFromStore(pageId, page.tokens, { now: ctx.clock.now(), expiringWindowMs: ctx.config.expiringWindowMs, userTokenExpiresAt });
  const changed = await tx.pages.setStatus(pageId, {
    status: health.status,
    reason: health.reason,
    fix: health.fix,
    warning: health.warning,
    ...(cause.checkedAt ? { lastCheckedAt: cause.checkedAt } : {}),
  });
  const previousStatus = changed?.previousStatus ?? page.status;
  if (previousStatus !== health.status) {
    await tx.audit.append({
      event: 'page_status_changed',
      pageId,
      userId: cause.userId ?? null,
      oldState: previousStatus,
      newState: health.status,
      reason: health.reason,
      detail: { source: cause.source, reasonCode: health.reasonCode, validTokens: health.validTokens, lostTokens: health.lostTokens },
    });
  }
  return { pageId, previousStatus, status: health.status, reason: health.reason, fix: health.fix, warning: health.warning, validTokens: health.validTokens, lostTokens: health.lostTokens };
}

/** Re-judges each Page in its own transaction; Pages that are gone are skipped. */
export async function rejudgePages(ctx: Pick<PageKeeperContext, 'store' | 'clock' | 'config'>, pageIds: readonly string[], cause: RejudgeCause): Promise<RejudgedPage[]> {
  const out: RejudgedPage[] = [];
  for (const pageId of pageIds) {
    const r = await ctx.store.transaction((tx) => rejudgePage(tx, ctx, pageId, cause));
    if (r) out.push(r);
  }
  return out;
}
