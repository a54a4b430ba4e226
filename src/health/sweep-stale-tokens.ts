/**
 * One bounded, resumable scheduled sweep. It inspects the valid tokens whose last check is older than
 * `checkedBefore`, of every partition this instance holds, least recently checked first, and
 * records each result as it goes: progress lives in `last_checked_at`, so a sweep stopped
 * halfway (a restart, a lost lease, the bound) resumes where it stopped, and an instance that
 * comes after another in the same period finds nothing left to do.
 *
 * Memory does not grow with the number of stored tokens: rows are read 500 at a time by keyset
 * (check time, page, user), only the rows of held partitions are decrypted, and nothing is kept
 * after its batch. The tokens of all held partitions share the debug_token batches, so every
 * call but the last carries 50 (sweeping each partition on its own left a part-empty batch per
 * partition: 203 calls for 10,000 tokens over 8 partitions instead of 200).
 *
 * Before each batch call it asks `beforeCall` (the budget pacing, lease renewal) and may be told
 * to stop. `held` may shrink meanwhile (a lost lease): tokens of a partition no longer in it are
 * skipped from then on.
 *
 * The Pages of each batch whose token was found valid have their webhook subscription read in
 * one more batch call, and a dropped one is subscribed again once (refresh-subscriptions.ts).
 */
import type { PageKeeperContext } from '../context.js';
import type { StaleCursor, StaleToken } from '../store/stale-token-reader.js';
import { inspectTokens } from '../tokens/inspect-tokens.js';
import { applyInspections } from './apply-inspections.js';
import { partitionOf } from './partition-of.js';
import { rejudgePage, type RejudgedPage } from './rejudge-pages.js';
import { canManageSubscription } from '../subscriptions/can-manage-subscription.js';
import { refreshSubscriptions, type RefreshTarget } from '../subscriptions/refresh-subscriptions.js';

/** Graph's batch limit: one call inspects this many tokens. */
export const STALE_SWEEP_BATCH = 50;
/** Rows read per query; a bound on what a sweep holds in memory. */
export const STALE_SWEEP_READ_CHUNK = 500;

export interface StaleSweepOptions {
  /** Only tokens last checked before this (or never) are inspected. */
  checkedBefore: Date;
  partitions?: number;
  /** The partitions to sweep (default all); the caller may remove one while the sweep runs. */
  held?: ReadonlySet<number>;
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
  /** Batch calls made for debug_token. */
  calls: number;
  /** Batch calls made to read (and repair) webhook subscriptions. */
  subscriptionCalls: number;
  /** Pages found with their webhook subscription dropped and subscribed again. */
  resubscribed: string[];
  /** Pages whose status changed. */
  changed: RejudgedPage[];
  /** False when stopped before every stale token was inspected. */
  complete: boolean;
}

export async function sweepStaleTokens(ctx: PageKeeperContext, options: StaleSweepOptions): Promise<StaleSweepResult> {
  const partitions = options.partitions ?? 1;
  const held = options.held;
  const mine = (pageId: string) => held === undefined || held.has(partitionOf(pageId, partitions));
  const cutoff = options.checkedBefore.getTime();
  const maxTokens = options.maxTokens ?? Number.POSITIVE_INFINITY;
  const result: StaleSweepResult = { inspected: 0, invalidated: 0, failed: 0, calls: 0, subscriptionCalls: 0, resubscribed: [], changed: [], complete: true };

  let taken = 0;
  let pending: StaleToken[] = [];
  let cursor: StaleCursor | undefined;
  let exhausted = false;

  /** The next batch of up to 50, refilling from the database as needed. */
  const nextBatch = async (): Promise<StaleToken[]> => {
    while (pending.length < STALE_SWEEP_BATCH && !exhausted) {
      const read = await ctx.store.staleTokens.read(cutoff, cursor, STALE_SWEEP_READ_CHUNK, mine);
      pending = pending.concat(read.tokens);
      cursor = read.next;
      if (read.next === undefined) exhausted = true;
    }
    // A lease lost since these were read: that partition is another instance's now.
    pending = pending.filter((t) => mine(t.pageId));
    const n = Math.min(STALE_SWEEP_BATCH, pending.length, maxTokens - taken);
    const batch = pending.slice(0, n);
    pending = pending.slice(n);
    taken += batch.length;
    return batch;
  };

  for (;;) {
    options.signal?.throwIfAborted();
    const batch = await nextBatch();
    if (batch.length === 0) {
      // Stopped by the bound with stale tokens left: the next round resumes with them.
      if (taken >= maxTokens && (pending.length > 0 || !exhausted)) result.complete = false;
      break;
    }
    if (options.beforeCall && !(await options.beforeCall())) {
      result.complete = false;
      break;
    }
    const outcomes = await inspectTokens(ctx, batch.map((t) => t.token), { signal: options.signal });
    result.calls++;
    const now = ctx.clock.now();
    const applied = await applyInspections(
      ctx,
      batch.map((t, j) => ({ pageId: t.pageId, userId: t.userId, outcome: outcomes[j] })),
      { source: 'scheduled_check', now },
    );
    result.inspected += applied.inspected;
    result.invalidated += applied.invalidated;
    result.failed += applied.failed;
    const targets = new Map<string, RefreshTarget>();
    batch.forEach((t, j) => {
      const o = outcomes[j];
      if (!o?.ok || !o.inspection.isValid || targets.get(t.pageId)?.canManage === true) return;
      const canManage = canManageSubscription(o.inspection, t.pageId, t.tasks);
      if (!targets.has(t.pageId) || canManage) targets.set(t.pageId, { pageId: t.pageId, token: t.token, canManage });
    });
    const refreshed = await refreshSubscriptions(ctx, [...targets.values()], { source: 'scheduled_check', signal: options.signal });
    result.subscriptionCalls += refreshed.calls;
    result.resubscribed.push(...refreshed.resubscribed);
    // The batch's Pages re-judged in one transaction (not one per Page).
    const changed = await ctx.store.transaction(async (tx) => {
      const out: RejudgedPage[] = [];
      for (const pageId of applied.touchedPageIds) {
        const page = await rejudgePage(tx, ctx, pageId, { source: 'scheduled_check', checkedAt: now });
        if (page && page.previousStatus !== page.status) out.push(page);
      }
      return out;
    });
    result.changed.push(...changed);
  }
  return result;
}
