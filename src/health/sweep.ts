/**
 * The sweep behind `check()` and `pagekeeper check`: inspects every stored, still-valid Page
 * token with debug_token in batch requests of 50 under the app token, records what it learnt,
 * classifies every Page with classifyPageHealth and writes the result; every change of state
 * goes to the audit log. 10,000 tokens cost 200 Graph calls instead of 10,000
 * (https://developers.facebook.com/docs/graph-api/batch-requests/,
 * https://developers.facebook.com/docs/graph-api/reference/debug_token/).
 *
 * Tokens already stored as invalid are not inspected again: Facebook never revives them; a
 * reconnect replaces them. A token whose batch item failed (a transient error) keeps its
 * stored state and is judged from what was recorded last time.
 *
 * Each Page with a token found valid also has its webhook subscription read (batched) and, when
 * Facebook dropped it, subscribed again once (src/subscriptions/refresh-subscriptions.ts).
 */
import type { PageWithTokens, StoredPageToken } from '../store/types.js';
import type { PageKeeperContext } from '../context.js';
import { inspectTokens } from '../tokens/inspect-tokens.js';
import { factsFromStored } from './page-health-from-store.js';
import type { PageStatus, TokenInspection } from '../core/types.js';
import { applyInspections } from './apply-inspections.js';
import { classifyPageHealth } from './classify-page-health.js';
import { canManageSubscription } from '../subscriptions/can-manage-subscription.js';
import { refreshSubscriptions, type RefreshedSubscriptions, type RefreshTarget } from '../subscriptions/refresh-subscriptions.js';

/** Tokens inspected between progress reports and writes: 10 batch calls. */
export const SWEEP_CHUNK = 500;
const DAY_MS = 24 * 3600 * 1000;

/** Reported after each chunk of 500 tokens. */
export interface SweepProgress {
  /** Tokens inspected so far. */
  inspected: number;
  total: number;
}

/** Abort, progress, and which Pages. */
export interface SweepOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  /** Only these Pages (default: every connected Page). */
  pageIds?: readonly string[];
}

/** One Page after the sweep. */
export interface SweptPage {
  id: string;
  name: string;
  status: PageStatus;
  previousStatus: PageStatus;
  /** Plain words; null when healthy. */
  reason: string | null;
  /** What to do; null when healthy. */
  fix: string | null;
  /** Something to know although the Page works (some of its tokens are lost). */
  warning: string | null;
}

/** What the sweep found; `check --json` prints a subset. */
export interface SweepResult {
  /** Pages checked. */
  checked: number;
  /** Of those, how many are healthy. */
  healthy: number;
  pages: SweptPage[];
  tokens: {
    inspected: number;
    /** Found invalid by this sweep (they were valid before). */
    invalidated: number;
    /** Could not be inspected this time (transient errors); judged from their stored state. */
    failed: number;
  };
  /** Webhook subscriptions read, and those found dropped and subscribed again (or not). */
  subscriptions: Omit<RefreshedSubscriptions, 'calls'>;
}

/**
 * Runs one sweep over every connected Page (or `pageIds`).
 * https://developers.facebook.com/docs/graph-api/reference/debug_token/
 */
export async function sweep(ctx: PageKeeperContext, options: SweepOptions = {}): Promise<SweepResult> {
  const { store, clock, logger } = ctx;
  // Checking a few Pages (the service's POST /v1/pages/{id}/check) reads only their rows; a full
  // sweep reads every table once instead of one query per Page.
  const only = options.pageIds ? [...new Set(options.pageIds)] : null;
  const pages =
    only === null
      ? await store.pages.list()
      : (await Promise.all(only.map((id) => store.pages.getWithTokens(id)))).filter((p): p is PageWithTokens => p !== undefined && p.removedAt === null);
  const pageIds = new Set(pages.map((p) => p.id));
  const candidates =
    only === null
      ? (await store.pageTokens.listAllWithTokens({ status: 'valid' })).filter((t) => pageIds.has(t.pageId))
      : (await Promise.all([...pageIds].map((id) => store.pageTokens.getValidTokens(id)))).flat();

  const fresh = new Map<string, TokenInspection>();
  const key = (pageId: string, userId: string) => `${pageId}\u0000${userId}`;
  let invalidated = 0;
  let failed = 0;
  let inspected = 0;

  const inspect = (from: number) => inspectTokens(ctx, candidates.slice(from, from + SWEEP_CHUNK).map((t) => t.token), { signal: options.signal });
  // The next chunk's batch calls are on the wire while this chunk's results are written.
  let ahead: Promise<Awaited<ReturnType<typeof inspectTokens>>> | undefined = candidates.length > 0 ? inspect(0) : undefined;
  for (let i = 0; i < candidates.length; i += SWEEP_CHUNK) {
    options.signal?.throwIfAborted();
    const chunk = candidates.slice(i, i + SWEEP_CHUNK);
    const outcomes = await ahead!;
    ahead = i + SWEEP_CHUNK < candidates.length ? inspect(i + SWEEP_CHUNK) : undefined;
    // If writing this chunk fails, the inspection already running must not become an unhandled rejection.
    ahead?.catch(() => {});
    const now = clock.now();
    for (const [j, t] of chunk.entries()) {
      const outcome = outcomes[j];
      if (outcome?.ok) fresh.set(key(t.pageId, t.userId), outcome.inspection);
    }
    // The same writes as the scheduler's (apply-inspections.ts), cached tokens dropped included.
    const applied = await applyInspections(ctx, chunk.map((t, j) => ({ pageId: t.pageId, userId: t.userId, outcome: outcomes[j] })), { source: 'check', now });
    invalidated += applied.invalidated;
    failed += applied.failed;
    inspected += chunk.length;
    options.onProgress?.({ inspected, total: candidates.length });
  }

  // One token per Page that this sweep found valid reads (and repairs) the Page's subscription.
  const subscriptionTargets = new Map<string, RefreshTarget>();
  for (const t of candidates) {
    const inspection = fresh.get(key(t.pageId, t.userId));
    if (!inspection?.isValid || subscriptionTargets.get(t.pageId)?.canManage === true) continue;
    // Another admin's token that can manage the subscription is preferred over one that cannot.
    const canManage = canManageSubscription(inspection, t.pageId, t.tasks);
    if (!subscriptionTargets.has(t.pageId) || canManage) subscriptionTargets.set(t.pageId, { pageId: t.pageId, token: t.token, canManage });
  }
  const { calls: _calls, ...subscriptions } = await refreshSubscriptions(ctx, [...subscriptionTargets.values()], { source: 'check', signal: options.signal });

  const userTokenExpiresAt: Record<string, Date | null> = {};
  for (const u of await store.users.list()) userTokenExpiresAt[u.id] = u.status === 'valid' ? u.tokenExpiresAt : null;

  const now = clock.now();
  // The pages as they are now: this sweep only changed their tokens, so their token states are
  // read again (one query) and put back on the pages listed at the start, in withTokens' order.
  const tokensNow = new Map<string, StoredPageToken[]>();
  const current = only === null ? await store.pageTokens.listAll() : (await Promise.all([...pageIds].map((id) => store.pageTokens.listForPage(id)))).flat();
  for (const t of current) {
    if (!pageIds.has(t.pageId)) continue;
    let list = tokensNow.get(t.pageId);
    if (list === undefined) tokensNow.set(t.pageId, (list = []));
    list.push(t);
  }
  const byCreation = (a: StoredPageToken, b: StoredPageToken) => a.createdAt.getTime() - b.createdAt.getTime() || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
  const after = new Map(pages.map((p) => [p.id, { ...p, tokens: (tokensNow.get(p.id) ?? []).sort(byCreation) }]));
  const swept: SweptPage[] = [];
  const verdicts = pages.map((before) => {
    const page: PageWithTokens = after.get(before.id) ?? before;
    const health = classifyPageHealth({
      pageId: page.id,
      tokens: page.tokens.map((t) => factsFromStored(t, fresh.get(key(t.pageId, t.userId)))),
      now,
      expiringWindowDays: ctx.config.expiringWindowMs / DAY_MS,
      userTokenExpiresAt,
    });
    return { page, health };
  });
  await store.transaction(async (tx) => {
    // One bulk write for every verdict, then the audit entries of the pages that changed, in
    // page order, in the same transaction.
    const previous = await tx.pages.setStatuses(
      verdicts.map(({ page, health }) => ({ id: page.id, update: { status: health.status, reason: health.reason, fix: health.fix, warning: health.warning, lastCheckedAt: now } })),
    );
    for (const [i, { page, health }] of verdicts.entries()) {
      const previousStatus = previous[i]?.previousStatus ?? page.status;
      if (previousStatus !== health.status) {
        await tx.audit.append({
          event: 'page_status_changed',
          pageId: page.id,
          oldState: previousStatus,
          newState: health.status,
          reason: health.reason,
          detail: { source: 'check', reasonCode: health.reasonCode, validTokens: health.validTokens, lostTokens: health.lostTokens },
        });
      }
      swept.push({ id: page.id, name: page.name, status: health.status, previousStatus, reason: health.reason, fix: health.fix, warning: health.warning });
    }
  });

  const result: SweepResult = {
    checked: swept.length,
    healthy: swept.filter((p) => p.status === 'healthy').length,
    pages: swept,
    tokens: { inspected, invalidated, failed },
    subscriptions,
  };
  logger.info({ checked: result.checked, healthy: result.healthy, ...result.tokens }, 'check finished');
  return result;
}
