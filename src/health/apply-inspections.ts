/**
 * Records one chunk of debug_token results in the store: the one place that turns an
 * inspection into writes, shared by the manual sweep (`check()`, sweep.ts) and the scheduler
 * (sweep-stale-tokens.ts) so the two cannot drift apart.
 *
 * - a valid token: its expiry, data-access expiry, messaging grant and check time (one bulk write);
 * - a token Facebook calls invalid: marked invalid (only a valid one changes, so a concurrent
 *   reactive failure makes one transition), one `token_invalidated` audit row, its check time,
 *   and, once committed, its Page's cached token is dropped so `page(id).token()` never hands
 *   it out again;
 * - a failed item (a transient error): nothing written; it keeps its stored state.
 *
 * All in one transaction. https://developers.facebook.com/docs/graph-api/reference/debug_token/
 */
import type { PageTokenCheck } from '../store/types.js';
import type { PageKeeperContext } from '../context.js';
import type { InspectOutcome } from '../tokens/inspect-tokens.js';
import { messagingGrantedFor } from '../tokens/messaging-granted-for.js';
import { instagramScopesFor } from '../tokens/instagram-capability.js';

export interface InspectedToken {
  pageId: string;
  userId: string;
  /** Undefined when the batch answered nothing for it (counted as failed). */
  outcome: InspectOutcome | undefined;
}

export interface AppliedInspections {
  inspected: number;
  /** Tokens this call moved from valid to invalid. */
  invalidated: number;
  failed: number;
  /** Pages with at least one inspected token, in first-seen order. */
  touchedPageIds: string[];
}

export async function applyInspections(
  ctx: Pick<PageKeeperContext, 'store' | 'tokens'>,
  items: readonly InspectedToken[],
  options: { source: 'check' | 'scheduled_check'; now: Date },
): Promise<AppliedInspections> {
  const out: AppliedInspections = { inspected: 0, invalidated: 0, failed: 0, touchedPageIds: [] };
  const touched = new Set<string>();
  const lost = new Set<string>();
  const checkedAt = options.now;
  await ctx.store.transaction(async (tx) => {
    // Healthy tokens (nearly all) are recorded in one bulk write.
    const checks: Array<{ pageId: string; userId: string; check: PageTokenCheck }> = [];
    /** The sweep also re-judges each Page's Instagram scopes (docs/instagram.md). */
    const igScopes = new Map<string, Parameters<typeof instagramScopesFor>[0]>();
    for (const { pageId, userId, outcome } of items) {
      if (!outcome || !outcome.ok) {
        out.failed++;
        continue;
      }
      out.inspected++;
      touched.add(pageId);
      const inspection = outcome.inspection;
      if (inspection.isValid) {
        checks.push({
          pageId,
          userId,
          check: { expiresAt: inspection.expiresAt, dataAccessExpiresAt: inspection.dataAccessExpiresAt, messagingGranted: messagingGrantedFor(inspection, pageId), checkedAt },
        });
        igScopes.set(pageId, inspection);
        continue;
      }
      const reason = inspection.error?.reason ?? 'invalid';
      if (await tx.pageTokens.markInvalid(pageId, userId, { reason, subcode: inspection.error?.subcode ?? null })) {
        out.invalidated++;
        lost.add(pageId);
        await tx.audit.append({
          event: 'token_invalidated',
          pageId,
          userId,
          oldState: 'valid',
          newState: 'invalid',
          reason,
          detail: { source: options.source, graphCode: inspection.error?.code ?? null, graphSubcode: inspection.error?.subcode ?? null },
        });
      }
      checks.push({ pageId, userId, check: { checkedAt } });
    }
    await tx.pageTokens.recordChecks(checks);
    if (igScopes.size > 0) {
      const ig = tx.instagram;
      const links = await ig.many([...igScopes.keys()]);
      for (const [pageId, inspection] of igScopes) {
        const link = links.get(pageId);
        if (!link) continue;
        const scopes = instagramScopesFor(inspection, link.igId);
        if (scopes.join() !== link.scopes.join()) await ig.setScopes(pageId, scopes, checkedAt);
      }
    }
  });
  // After the commit: a token() call racing the transaction could otherwise re-cache the old row.
  for (const pageId of lost) ctx.tokens.invalidate(pageId);
  out.touchedPageIds = [...touched];
  return out;
}
