/**
 * The outbox worker's loop: claims due messages (per-row leases, recipient heads only, see
 * outbox-repository.ts), hands each to deliver (worker-deliver.ts), and writes the outcomes.
 * Its parts, each in its own file:
 * - worker-deliver.ts: one claimed message from window check to outcome (the POST itself is
 *   send.ts's postPreparedBody, shared with direct sends);
 * - worker-outcome-writer.ts: outcomes gathered for the next tick's transaction;
 * - worker-mark-batcher.ts: `sending` marks gathered into one statement;
 * - worker-send-slots.ts: POSTs on the wire, sized to rate x observed round trip, capped by
 *   `messenger.maxInFlight`;
 * - worker-page-budgets.ts: how many claimed messages each Page may hold.
 *
 * Loses nothing, sends nothing twice:
 * - a message is marked `sending` and committed BEFORE its POST; a worker that dies mid-POST
 *   leaves it `sending` with a claim that expires, and recovery turns it into `unknown` (it may
 *   have gone out) or, when the caller opted into at-least-once, back into `queued`;
 * - a claimed message stays `queued` until its throttle slot comes: a worker that dies before
 *   then leaves it to another worker once the claim expires (nothing lost, nothing unknown);
 * - claims are renewed while the worker holds them, so a slow send is not taken over;
 * - outcomes follow decideSendRetry: retry later, fail with Graph's code and reason, hold the
 *   Page's messages on token errors (until it has a valid token again), or `unknown`.
 *
 * The database work is batched per tick: one transaction writes the outcomes gathered since the
 * last tick and claims more; the full scan for heads runs on the poll or when asked, never more
 * than ~10% of the time.
 *
 * Several instances on one database share the work and a Page's Send API budget: each worker
 * heartbeats a lease `outbox-worker:<id>`, and every send takes its Page's next slot from one
 * schedule shared by all instances (page-slots.ts), so whoever has people waiting for a Page
 * gets its slots and nothing is divided among the instances. A worker claims each finished person's next message
 * in the same transaction as the outcome (an index probe per person) when the person is its
 * own: alone, every person; with others live, the people it scores highest for among the live
 * workers (worker-people.ts). Everyone else's next message goes back for its owner, and a scan
 * reads the due heads without claiming them and claims only its own people's (bounded by its
 * share of each Page's budget): no instance keeps every person's head while the others idle,
 * none locks another's heads (instances scanning at the same moment would skip them and wait
 * for their next poll), and no person waits for a scan between each of its messages (at 200 ms
 * a round trip, that wait halved the throughput of three instances). When the live workers
 * change, messages of people who changed hands that still wait for their throttle slot give
 * their claim back at once (handBack).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { conversationKey } from '../store/conversations-repository.js';
import type { ClaimedMessage, OutboxRepository, SendOutcome, StatusChange } from '../store/outbox-repository.js';
import { resumeChangedPages } from './resume-held.js';
import type { SendDeps } from './send.js';
import { createDeliver } from './worker-deliver.js';
import { createMarkBatcher } from './worker-mark-batcher.js';
import { DEFAULT_FLUSH_BATCH, DEFAULT_FLUSH_MS, createOutcomeWriter } from './worker-outcome-writer.js';
import { createPageBudgets } from './worker-page-budgets.js';
import { createPeopleShare } from './worker-people.js';
import { DEFAULT_MAX_IN_FLIGHT, createSendSlots } from './worker-send-slots.js';

export { DEFAULT_FLUSH_BATCH, DEFAULT_FLUSH_MS } from './worker-outcome-writer.js';
export { MARK_GATHER_MS } from './worker-mark-batcher.js';
export { MIN_PAGE_IN_FLIGHT, PAGE_BACKLOG_SECONDS, PAGE_LATENCY_HEADROOM } from './worker-page-budgets.js';
export { DEFAULT_MAX_IN_FLIGHT, MIN_SEND_SLOTS } from './worker-send-slots.js';

export const DEFAULT_LEASE_MS = 30_000;
/** Messages claimed at once over all Pages (including those waiting for a throttle slot), at least twice the POSTs in flight. */
export const DEFAULT_CONCURRENCY = 1024;
export const DEFAULT_BATCH_SIZE = 512;
/** People whose next message waits for room, probed again at each tick rather than left to the scan; beyond this many, the scan. */
export const MAX_DEFERRED = 4096;
export const DEFAULT_POLL_MS = 250;
/** Shared, a scan reads this many due heads at most (about a live worker's share of them is its own). */
export const SHARED_SCAN_MAX_HEADS = 4096;
/**
 * The full claim (a scan for every person's head) runs at most this often, and never more than
 * ~10% of the time (its interval grows with its cost); between scans a lone worker claims the
 * next message of each person whose message just finished in the same transaction as the outcome.
 */
export const MIN_CLAIM_INTERVAL_MS = 50;
export const DEFAULT_HELD_RECHECK_MS = 3_000;
export const DEFAULT_RECOVER_EVERY_MS = 1_000;
/**
 * How often a worker re-counts the live workers (at most; a third of the lease when shorter):
 * the people each one keeps follow the count (worker-people.ts), and so does the share of a
 * Page's cap an instance paces at alone while the database refuses slot reservations (page-slots.ts).
 */
export const LIVE_COUNT_EVERY_MS = 250;
/** Worker heartbeats live under this lease-name prefix. */
export const WORKER_LEASE_PREFIX = 'outbox-worker:';
/**
 * A worker's heartbeat lasts this share of its claims' lease (at least HEARTBEAT_MIN_MS) and is
 * renewed three times within it. The others count a worker whose heartbeat lapsed as gone and
 * expire its claims then (expireClaimsOutside), so a dead instance's people wait a third of the
 * lease for their next message instead of all of it; its claims' own expiry stays the fallback.
 */
export const HEARTBEAT_LEASE_SHARE = 1 / 3;
export const HEARTBEAT_MIN_MS = 300;

interface Person {
  pageId: string;
  psid: string;
}

export interface WorkerOptions {
  /** Unique per worker; default random. Appears in `claimed_by`. */
  workerId?: string;
  /** How long a claim lasts without renewal (taken over within 30 s by default). */
  leaseMs?: number;
  /** Messages claimed at once (including those waiting for a throttle slot); default max(1,024, 2 x maxPostsInFlight). */
  concurrency?: number;
  /** Most messages one claim statement takes. */
  batchSize?: number;
  /** Outcomes are written together after this many ms (or at once when `flushBatch` are waiting). */
  flushMs?: number;
  flushBatch?: number;
  /**
   * Most POSTs on the wire at once (default `messenger.maxInFlight`, 1,024). Below it the number
   * follows the Pages' send rate times the observed round trip. Keep it at or below the Graph
   * client's `connections`, so no POST waits inside the HTTP pool.
   */
  maxPostsInFlight?: number;
  /** How often an idle worker looks for due messages (enqueue in the same process wakes it at once). */
  pollMs?: number;
  /** How often pages with held messages are re-checked for a valid token. */
  heldRecheckMs?: number;
  recoverEveryMs?: number;
  /** Per-attempt timeout of the POST. */
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export interface WorkerDeps extends SendDeps {
  repo: OutboxRepository;
  /** Re-divides the per-page caps when the number of live workers changes. */
  setLiveWorkers(n: number): void;
  /** While attached, this instance's sends take slots from each Page's shared schedule (page-slots.ts); returns the detach. */
  attachSlots?(): () => void;
  /** The live leases whose name starts with the prefix, sorted (the store's lease repository). */
  liveLeases(prefix: string, now: number): Promise<string[]>;
  /** Default for `maxPostsInFlight` (`messenger.maxInFlight`). */
  maxInFlight?: number;
  /** Told the outcomes of every tick once they are committed, with the messages held along (outcome-events.ts). */
  onStatusChanges?(batch: ReadonlyArray<{ m: ClaimedMessage; outcome: SendOutcome }>, heldAlong: readonly StatusChange[], at: number): void;
}

export interface OutboxWorker {
  readonly id: string;
  /** Starts claiming and sending. Idempotent. */
  start(): void;
  /** Stops claiming, waits for messages in flight, releases the heartbeat. */
  stop(): Promise<void>;
  /**
   * Looks for work now: with a person (enqueue in the same process), claims that person's head
   * at the next tick by an index probe; without, runs the full claim as soon as its cost allows.
   */
  wake(person?: { pageId: string; psid: string }): void;
  /** Resolves once nothing is in flight and a claim found nothing due (tests, CLI). */
  idle(): Promise<void>;
  /** Claimed messages not yet written back. */
  readonly inFlight: number;
  /** Messages this worker has recorded `sent` since it started. */
  readonly sent: number;
  /** POSTs on the wire now, the most so far, and the current limit (between 16 and maxPostsInFlight). */
  readonly posts: { readonly inFlight: number; readonly peak: number; readonly limit: number; readonly latencyMs: number };
}

export function createOutboxWorker(deps: WorkerDeps, options: WorkerOptions = {}): OutboxWorker {
  const { ctx, repo, throttle } = deps;
  const id = options.workerId ?? `w_${randomBytes(6).toString('base64url')}`;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxPosts = options.maxPostsInFlight ?? deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const concurrency = options.concurrency ?? Math.max(DEFAULT_CONCURRENCY, 2 * maxPosts);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const heldRecheckMs = options.heldRecheckMs ?? DEFAULT_HELD_RECHECK_MS;
  const recoverEveryMs = options.recoverEveryMs ?? DEFAULT_RECOVER_EVERY_MS;
  const heartbeatMs = Math.max(HEARTBEAT_MIN_MS, Math.floor(leaseMs * HEARTBEAT_LEASE_SHARE));
  const countEveryMs = Math.max(100, Math.min(LIVE_COUNT_EVERY_MS, Math.floor(heartbeatMs / 3)));
  const now = () => ctx.clock.now().getTime();
  const random = options.random ?? Math.random;

  /** Claimed messages until their outcome is written. */
  const inFlight = new Map<string, ClaimedMessage>();
  const deliveries = new Set<Promise<void>>();
  let stopping = new AbortController();
  /** Claimed messages waiting for their throttle slot (or their share of a Page), by id: aborted to give the claim back. */
  const slotWaits = new Map<string, AbortController>();
  let running = false;
  let loopDone: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  /** Someone asked for a full claim (an enqueue in this process, idle(), outcomes while sharing). */
  let claimWanted = false;
  let lastFullClaimAt = 0;
  let fullClaimIntervalMs = MIN_CLAIM_INTERVAL_MS;
  let lastRecoverAt = 0;
  let liveWorkers = 1;
  let liveNames = '';
  /** The workers counted live last time (ids); undefined before the first count. */
  let liveIds: Set<string> | undefined;
  const share = createPeopleShare(`${WORKER_LEASE_PREFIX}${id}`);
  let sent = 0;
  /** People whose message was just enqueued here: their heads are claimed at the next tick. */
  let wanted = new Map<string, Person>();
  /** Our people whose next message waits for room (their Page's budget full, the claim full): probed at the next tick. */
  let deferred = new Map<string, Person>();
  function defer(people: Iterable<Person>): void {
    for (const p of people) {
      // Past this many, the rest wait for the scan (which finds every head anyway).
      if (deferred.size >= MAX_DEFERRED) {
        claimWanted = true;
        return;
      }
      deferred.set(conversationKey(p.pageId, p.psid), p);
    }
  }
  let idleWaiters: Array<() => void> = [];
  let timers: NodeJS.Timeout[] = [];
  let detachSlots: (() => void) | undefined;

  const outcomes = createOutcomeWriter(() => wakeLoop(false), options.flushMs ?? DEFAULT_FLUSH_MS, options.flushBatch ?? DEFAULT_FLUSH_BATCH);
  const marks = createMarkBatcher((ids) => repo.markSendingMany(id, ids, now()));
  // The slots' observed round trip sizes each Page's budget; the budgets' Pages size the slots.
  const budgets = createPageBudgets(
    (pageId) => throttle.state(pageId).perSecond,
    () => slots.latencyMs,
  );
  const slots = createSendSlots({ max: maxPosts, demandPerSecond: () => budgets.demandPerSecond() });
  const { deliver, decide } = createDeliver(
    {
      send: deps,
      marks,
      slots,
      record: (m, o) => outcomes.record(m, o),
      slotWait(m) {
        if (stopping.signal.aborted) return stopping.signal;
        const c = new AbortController();
        slotWaits.set(m.id, c);
        return c.signal;
      },
      slotTaken: (m) => slotWaits.delete(m.id),
      alone: () => liveWorkers <= 1,
      now,
    },
    { timeoutMs: options.timeoutMs, maxAttempts: options.maxAttempts, baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs, random },
  );

  /** Wakes the loop; `claim` asks for a full claim (otherwise it only writes outcomes). */
  function wakeLoop(claim: boolean): void {
    if (claim) claimWanted = true;
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  }

  function wake(person?: { pageId: string; psid: string }): void {
    if (person === undefined) return wakeLoop(true);
    wanted.set(conversationKey(person.pageId, person.psid), person);
    wakeLoop(false);
  }

  /** Sleeps until woken or `ms`; an outcome arriving wakes it through the flush timer. */
  function waitForWake(ms: number): Promise<void> {
    if (!running) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        wakeUp = undefined;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  function dispatch(batch: readonly ClaimedMessage[]): void {
    for (const m of batch) {
      inFlight.set(m.id, m);
      budgets.add(m.pageId);
      const p = deliver(m).catch((e: unknown) => {
        ctx.logger.error({ messageId: m.id, pageId: m.pageId, err: e instanceof Error ? e.message : String(e) }, 'outbox delivery failed');
        decide(m, e);
      });
      deliveries.add(p);
      void p.finally(() => {
        deliveries.delete(p);
        slotWaits.delete(m.id);
      });
    }
  }

  /**
   * One tick's database work in one transaction: write the outcomes gathered since the last
   * tick, claim the next message of each person whose message just finished (alone) and, when
   * due, run the full claim. Claimed messages are dispatched only after the commit.
   */
  async function tick(fullClaim: boolean, claiming: boolean): Promise<number> {
    const batch = outcomes.take();
    const t = now();
    const people = new Map<string, Person>();
    for (const { m } of batch) {
      inFlight.delete(m.id);
      budgets.remove(m.pageId);
      people.set(conversationKey(m.pageId, m.psid), { pageId: m.pageId, psid: m.psid });
    }
    // Each finished person's next message is claimed at once when the person is ours. Sharing
    // the database with other live workers, the others' people go back to the shared scan, so
    // people (and the work) spread over the instances instead of staying with whichever
    // claimed them first.
    for (const [k, p] of deferred) people.set(k, p);
    deferred = new Map();
    if (liveWorkers > 1) {
      let dropped = false;
      for (const [k, p] of people) {
        if (share.owns(p.pageId, p.psid)) continue;
        people.delete(k);
        dropped = true;
      }
      if (dropped && claiming) claimWanted = true;
    }
    // People just enqueued here are claimed by an index probe, whoever else is live.
    for (const [k, p] of wanted) people.set(k, p);
    wanted = new Map();
    if (!claiming) defer(people.values());
    let claimed: ClaimedMessage[];
    let fullClaimMs = 0;
    let heldAlong: StatusChange[] = [];
    try {
      claimed = await repo.transaction(async (tx) => {
        if (batch.length > 0) heldAlong = await tx.applyOutcomes(id, batch.map((b) => b.outcome), t);
        if (!claiming) return [];
        const full = new Set(budgets.fullPages());
        const followers: Person[] = [];
        const waiting: Person[] = [];
        for (const p of people.values()) (full.has(p.pageId) ? waiting : followers).push(p);
        const limit = Math.min(concurrency - inFlight.size, batchSize);
        // A full Page's people, and those beyond this claim's room, are probed again at the
        // next ticks: a scan's wait (up to a second on a large queue) for each would idle them.
        defer(waiting);
        defer(followers.slice(limit));
        const got = followers.length > 0 ? await tx.claimHeads(id, t, leaseMs, limit, { recipients: followers.slice(0, limit) }) : [];
        if (!fullClaim) return got;
        const room = Math.min(concurrency - inFlight.size - got.length, batchSize);
        const startedAt = performance.now();
        // The scan is not limited per Page: what exceeds a Page's budget is left (alone: goes
        // back before the commit), so one Page cannot hold every slot.
        const taken = new Map<string, number>();
        for (const m of got) taken.set(m.pageId, (taken.get(m.pageId) ?? 0) + 1);
        const fits = (pageId: string) => {
          const n = budgets.count(pageId) + (taken.get(pageId) ?? 0);
          if (n >= budgets.budget(pageId)) return false;
          taken.set(pageId, (taken.get(pageId) ?? 0) + 1);
          return true;
        };
        if (liveWorkers > 1) {
          // Shared, the scan reads the heads without claiming them and claims only our own
          // people's, by the followers' probe: the others' stay for their owners (instead of
          // the first instance to scan taking every person and handing each back after one
          // message: people bouncing between instances, a scan's wait at every hop), and no
          // head is locked, so instances scanning at the same moment (woken together by a
          // burst) do not skip each other's heads and wait for their next poll.
          const heads = await tx.dueHeads(t, Math.min(SHARED_SCAN_MAX_HEADS, room * liveWorkers), { excludePages: [...full] });
          const ours: Person[] = [];
          for (const p of heads) if (ours.length < room && share.owns(p.pageId, p.psid) && fits(p.pageId)) ours.push(p);
          const more = ours.length > 0 ? await tx.claimHeads(id, t, leaseMs, room, { recipients: ours }) : [];
          fullClaimMs = performance.now() - startedAt;
          return got.concat(more);
        }
        const more = await tx.claimHeads(id, t, leaseMs, room, { excludePages: [...full] });
        fullClaimMs = performance.now() - startedAt;
        const keep: ClaimedMessage[] = [];
        const excess: SendOutcome[] = [];
        for (const m of more) {
          if (fits(m.pageId)) keep.push(m);
          else excess.push({ kind: 'release', id: m.id, at: t });
        }
        if (excess.length > 0) await tx.applyOutcomes(id, excess, t);
        return got.concat(keep);
      });
    } catch (e) {
      // The outcomes were not written: keep them for the next tick (the claims stay ours while we renew them).
      for (const b of batch) {
        inFlight.set(b.m.id, b.m);
        budgets.add(b.m.pageId);
      }
      outcomes.putBack(batch);
      throw e;
    }
    if (batch.length > 0) deps.onStatusChanges?.(batch, heldAlong, t);
    for (const b of batch) if (b.outcome.kind === 'sent') sent++;
    if (fullClaim) {
      lastFullClaimAt = Date.now();
      // A scan that costs more than ~10% of the time runs less often.
      fullClaimIntervalMs = Math.max(MIN_CLAIM_INTERVAL_MS, fullClaimMs * 10);
    }
    if (running) dispatch(claimed);
    else if (claimed.length > 0) {
      await repo.applyOutcomes(
        id,
        claimed.map((m) => ({ kind: 'release', id: m.id, at: t })),
        t,
      );
    }
    return claimed.length;
  }

  function settleIdle(): void {
    if (inFlight.size > 0 || outcomes.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  async function loop(joined: Promise<void>): Promise<void> {
    // The live workers are counted before the first claim (the Pages' shares depend on it).
    await joined.catch(() => {});
    while (running) {
      try {
        const t = now();
        if (t - lastRecoverAt >= recoverEveryMs) {
          lastRecoverAt = t;
          await repo.recoverExpired(t);
        }
        const room = concurrency - inFlight.size;
        const sinceFull = Date.now() - lastFullClaimAt;
        // A full claim when asked (enqueue, idle()) or on the poll, never more often than its cost allows.
        const fullDue = room > 0 && (claimWanted || sinceFull >= pollMs) && sinceFull >= fullClaimIntervalMs;
        if (fullDue) claimWanted = false;
        const claimed = outcomes.size > 0 || wanted.size > 0 || fullDue ? await tick(fullDue, room > 0) : 0;
        if (fullDue && claimed === 0 && inFlight.size === 0 && outcomes.size === 0) settleIdle();
        if (outcomes.full) continue;
        if (wanted.size > 0 && room > 0) continue;
        const wait =
          outcomes.size > 0
            ? (options.flushMs ?? DEFAULT_FLUSH_MS)
            : claimWanted && concurrency > inFlight.size
              ? Math.max(1, fullClaimIntervalMs - (Date.now() - lastFullClaimAt))
              : pollMs;
        await waitForWake(wait);
      } catch (e) {
        ctx.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'outbox claim failed');
        await waitForWake(pollMs);
      }
    }
  }

  async function heartbeat(): Promise<void> {
    await ctx.store.leases.acquire(`${WORKER_LEASE_PREFIX}${id}`, id, heartbeatMs);
    await countLive();
  }

  async function renewClaims(): Promise<void> {
    if (inFlight.size > 0) await repo.renew(id, [...inFlight.keys()], now() + leaseMs);
  }

  async function countLive(): Promise<void> {
    const t = now();
    const live = await deps.liveLeases(WORKER_LEASE_PREFIX, t);
    const names = live.join('\n');
    const changed = names !== liveNames;
    liveNames = names;
    const ids = new Set(live.map((n) => n.slice(WORKER_LEASE_PREFIX.length)));
    ids.add(id);
    // A worker gone since the last count (or dead before ours began): its claims expire now, and
    // the recovery runs at the next pass, so its people's messages move on without waiting for
    // the claims' own expiry.
    const gone = liveIds === undefined || [...liveIds].some((w) => !ids.has(w));
    liveIds = ids;
    if (gone && (await repo.expireClaimsOutside([...ids], t)) > 0) {
      lastRecoverAt = 0;
      wakeLoop(true);
    }
    liveWorkers = Math.max(1, live.length);
    share.setLive(live);
    deps.setLiveWorkers(liveWorkers);
    if (changed) {
      handBack();
      // People change hands: look for ours now, and again once the others have counted the
      // change and handed theirs back.
      wakeLoop(true);
      const again = setTimeout(() => wakeLoop(true), countEveryMs + 50);
      again.unref();
    }
  }

  /**
   * The live workers changed: messages of people no longer ours that still wait for their
   * throttle slot give their claim back now, so their new owner sends them, instead of them
   * waiting here behind a share that just shrank (a worker that started alone holds every
   * person's head when the others join).
   */
  function handBack(): void {
    for (const [messageId, c] of slotWaits) {
      const m = inFlight.get(messageId);
      if (m !== undefined && !share.owns(m.pageId, m.psid)) {
        slotWaits.delete(messageId);
        c.abort();
      }
    }
  }

  async function recheckHeld(): Promise<void> {
    // Only a change of the Page's tokens resumes it (resume-held.ts): no hold/resume loop.
    if ((await resumeChangedPages(ctx, repo, now())).length > 0) wake();
  }

  function every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((e: unknown) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'outbox background task failed'))
        .finally(() => {
          busy = false;
        });
    }, ms);
    t.unref();
    timers.push(t);
  }

  return {
    id,
    get inFlight() {
      return inFlight.size;
    },
    get sent() {
      return sent;
    },
    posts: {
      get inFlight() {
        return slots.inFlight;
      },
      get peak() {
        return slots.peak;
      },
      get limit() {
        return slots.limit;
      },
      get latencyMs() {
        return slots.latencyMs;
      },
    },
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      // A message waiting for its throttle slot listens to its own signal (slotWaits), or to this one once stopping.
      setMaxListeners(0, stopping.signal);
      detachSlots = deps.attachSlots?.();
      const joined = heartbeat();
      joined.catch(() => {});
      every(Math.max(100, Math.floor(heartbeatMs / 3)), heartbeat);
      every(Math.max(100, Math.floor(leaseMs / 3)), renewClaims);
      every(countEveryMs, countLive);
      every(heldRecheckMs, recheckHeld);
      loopDone = loop(joined);
    },
    async stop() {
      if (!running) return;
      running = false;
      for (const t of timers) clearInterval(t);
      timers = [];
      wakeLoop(false);
      await loopDone;
      // Messages waiting for a throttle slot give their claim back; POSTs in flight finish.
      stopping.abort();
      for (const c of slotWaits.values()) c.abort();
      slotWaits.clear();
      await Promise.allSettled([...deliveries]);
      for (let attempt = 0; outcomes.size > 0 && attempt < 3; attempt++) {
        await tick(false, false).catch((e: unknown) => ctx.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'outbox outcomes not written while stopping'));
      }
      await ctx.store.leases.release(`${WORKER_LEASE_PREFIX}${id}`, id).catch(() => false);
      detachSlots?.();
      detachSlots = undefined;
      settleIdle();
    },
    wake,
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
  };
}
