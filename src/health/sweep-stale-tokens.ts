/**
 * One bounded, resumable slice of a scheduled sweep (issue 4 item 6; issue 7 "health sweeps are
 * partitioned, not repeated"). It inspects the valid tokens of one partition whose last check
 * is older than `checkedBefore`, least recently checked first, 50 per batch call, and records
 * each result as it goes: progress lives in `last_checked_at`, so a sweep stopped halfway (a
 * restart, a lost lease, the bound) resumes where it stopped, and an instance that comes after
 * another in the same period finds nothing left to do.
 *
 * Before each batch call it asks `beforeCall` (the budget pacing) and may be told to stop.
 */
import type { StoredPageTokenWithToken } from '../store/types.js';
import type { PageKeeperContext } from '../tokens/context.js';
import { inspectTokens } from '../tokens/inspect-tokens.js';
import { messagingGrantedFor } from '../tokens/messaging-granted-for.js';
import { partitionOf } from './partition-of.js';
import { rejudgePage, type RejudgedPage } from './rejudge-pages.js';

/** Graph's batch limit: one call inspects this many tokens. */
export const STALE_SWEEP_BATCH = 50;

export interface StaleSweepOptions {
  /** Only tokens last checked before this (or never) are inspected. */
  checkedBefore: Date;
  partition?: number;
  partitions?: number;
  /** At most this many tokens in this run (the bound). */
  maxTokens?: number;
  /** Called before each batch call; resolve false to stop here (budget, lost lease, shutdown). */
  beforeCall?: () => Promise<boolean>;
  signal?: AbortSignal;
}

export interface StaleSweepResult {
  inspected: number;
  invalidated: number;
  /** Items that failed transiently: left for the next run. */
  failed: number;
  /** Batch calls made. */
  calls: number;
  /** Pages whose status changed. */
  changed: RejudgedPage[];
  /** False when stopped before every stale token was inspected. */
  complete: boolean;
}

export async function sweepStaleTokens(ctx: PageKeeperContext, options: StaleSweepOptions): Promise<StaleSweepResult> {
  const { store, clock } = ctx;
  const partitions = options.partitions ?? 1;
  const partition = options.partition ?? 0;
  const cutoff = options.checkedBefore.getTime();
  const stale = (await store.pageTokens.listAll({ status: 'valid' }))
    .filter((t) => partitionOf(t.pageId, partitions) === partition && (t.lastCheckedAt === null || t.lastCheckedAt.getTime() < cutoff))
    .sort((a, b) => (a.lastCheckedAt?.getTime() ?? -1) - (b.lastCheckedAt?.getTime() ?? -1));
  const todo = stale.slice(0, options.maxTokens ?? stale.length);
  const result: StaleSweepResult = { inspected: 0, invalidated: 0, failed: 0, calls: 0, changed: [], complete: todo.length === stale.length };

  for (let i = 0; i < todo.length; i += STALE_SWEEP_BATCH) {
    options.signal?.throwIfAborted();
    if (options.beforeCall && !(await options.beforeCall())) {
      result.complete = false;
      break;
    }
    const slice = todo.slice(i, i + STALE_SWEEP_BATCH);
    const withTokens: StoredPageTokenWithToken[] = [];
    for (const t of slice) {
      const full = await store.pageTokens.getWithToken(t.pageId, t.userId);
      // Gone or already invalid since the list was read: nothing to inspect.
      if (full && full.status === 'valid') withTokens.push(full);
    }
    if (withTokens.length === 0) continue;
    const outcomes = await inspectTokens(ctx, withTokens.map((t) => t.token), { signal: options.signal });
    result.calls++;
    const now = clock.now();
    const touched = new Set<string>();
    const lost = new Set<string>();
    await store.transaction(async (tx) => {
      for (const [j, t] of withTokens.entries()) {
        const outcome = outcomes[j];
        if (!outcome || !outcome.ok) {
          result.failed++;
          continue;
        }
        result.inspected++;
        touched.add(t.pageId);
        const inspection = outcome.inspection;
        if (!inspection.isValid) {
          const reason = inspection.error?.reason ?? 'invalid';
          if (await tx.pageTokens.markInvalid(t.pageId, t.userId, { reason, subcode: inspection.error?.subcode ?? null })) {
            result.invalidated++;
            lost.add(t.pageId);
            await tx.audit.append({
              event: 'token_invalidated',
              pageId: t.pageId,
              userId: t.userId,
              oldState: 'valid',
              newState: 'invalid',
              reason,
              detail: { source: 'scheduled_check', graphCode: inspection.error?.code ?? null, graphSubcode: inspection.error?.subcode ?? null },
            });
          }
          await tx.pageTokens.recordCheck(t.pageId, t.userId, { checkedAt: now });
        } else {
          await tx.pageTokens.recordCheck(t.pageId, t.userId, {
            expiresAt: inspection.expiresAt,
            dataAccessExpiresAt: inspection.dataAccessExpiresAt,
            messagingGranted: messagingGrantedFor(inspection, t.pageId),
            checkedAt: now,
          });
        }
      }
    });
    for (const pageId of lost) ctx.tokens.invalidate(pageId);
    for (const pageId of touched) {
      const page = await store.transaction((tx) => rejudgePage(tx, ctx, pageId, { source: 'scheduled_check', checkedAt: now }));
      if (page && page.previousStatus !== page.status) result.changed.push(page);
    }
  }
  return result;
}
