/**
 * The outbox worker: claims due messages (per-row leases, recipient heads only, see
 * outbox-repository.ts), sends each through the Page's throttle, and records the outcome.
 *
 * Loses nothing, sends nothing twice (issue 5 item 3, issue 7 item 2):
 * - a message is marked `sending` and committed BEFORE its POST; a worker that dies mid-POST
 *   leaves it `sending` with a claim that expires, and recovery turns it into `unknown` (it may
 *   have gone out) or, when the caller opted into at-least-once, back into `queued`;
 * - a claimed message stays `queued` until its throttle slot comes: a worker that dies before
 *   then leaves it to another worker once the claim expires (nothing lost, nothing unknown);
 * - claims are renewed while the worker holds them, so a slow send is not taken over;
 * - outcomes follow decideSendRetry: retry later, fail with Graph's code and reason, hold the
 *   Page's messages on token errors (until it has a valid token again), or `unknown`.
 *
 * Fast enough for 20 Pages at 100/s from one process (issue 5 Performance): the database work
 * is batched per tick, one transaction that writes the outcomes gathered since the last tick
 * and claims each finished person's next message (an index probe per person); the full scan
 * for heads runs on the poll or when asked, never more than ~10% of the time; the `sending`
 * marks of the sends the throttle releases together go in one statement.
 *
 * Several instances on one database share a Page's Send API budget: each worker heartbeats a
 * lease `outbox-worker:<id>`, and the per-page cap is divided by the number of live workers.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { isPageKeeperError } from '../errors.js';
import { DEFAULT_CONNECTIONS } from '../graph/create-graph-client.js';
import { isGraphError, type GraphError } from '../graph/graph-error.js';
import { bodyOf, type ClaimedMessage, type OutboxError, type OutboxRepository, type SendOutcome, type StatusChange } from './outbox-repository.js';
import { resumeChangedPages } from './resume-held.js';
import { decideSendRetry } from './retry-policy.js';
import { attachmentTypeOf, checkWindow, keyedThrottle, observeSendError, type SendDeps } from './send.js';
import { throttleKeyOf } from './throttle.js';

export const DEFAULT_LEASE_MS = 30_000;
/** Messages in flight at once over all Pages (including those waiting for a throttle slot). */
export const DEFAULT_CONCURRENCY = 1024;
export const DEFAULT_BATCH_SIZE = 512;
export const DEFAULT_POLL_MS = 250;
/**
 * A Page gets at most this many seconds of sends claimed ahead (at its current rate, at least
 * MIN_PAGE_IN_FLIGHT): enough to keep its throttle busy between two ticks, few enough that a
 * crash leaves few claimed-but-unsent messages `unknown`, and one Page cannot take every slot.
 */
export const PAGE_BACKLOG_SECONDS = 0.3;
export const MIN_PAGE_IN_FLIGHT = 8;
/** Outcomes are written together: after this long, or at once when this many are waiting. */
export const DEFAULT_FLUSH_MS = 15;
export const DEFAULT_FLUSH_BATCH = 200;
/** How long `sending` marks are gathered before their one statement. */
export const MARK_GATHER_MS = 4;
/**
 * The full claim (a scan for every person's head) runs at most this often, and never more than
 * ~10% of the time (its interval grows with its cost); between scans the people whose message
 * just finished get their next one claimed in the same transaction as the outcome.
 */
export const MIN_CLAIM_INTERVAL_MS = 50;
export const DEFAULT_HELD_RECHECK_MS = 3_000;
export const DEFAULT_RECOVER_EVERY_MS = 1_000;
/** Worker heartbeats live under this lease-name prefix. */
export const WORKER_LEASE_PREFIX = 'outbox-worker:';

export interface WorkerOptions {
  /** Unique per worker; default random. Appears in `claimed_by`. */
  workerId?: string;
  /** How long a claim lasts without renewal (issue 7: taken over within 30 s by default). */
  leaseMs?: number;
  /** Messages in flight at once (including those waiting for a throttle slot). */
  concurrency?: number;
  /** Most messages one claim statement takes. */
  batchSize?: number;
  /** Outcomes are written together after this many ms (or at once when `flushBatch` are waiting). */
  flushMs?: number;
  flushBatch?: number;
  /** POSTs on the wire at once; default the Graph client's connections per origin, so none waits inside the HTTP pool. */
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
  /** Told the outcomes of every tick once they are committed, with the messages held along (outcome-events.ts). */
  onStatusChanges?(batch: ReadonlyArray<{ m: ClaimedMessage; outcome: SendOutcome }>, heldAlong: readonly StatusChange[], at: number): void;
}

export interface OutboxWorker {
  readonly id: string;
  /** Starts claiming and sending. Idempotent. */
  start(): void;
  /** Stops claiming, waits for messages in flight, releases the heartbeat. */
  stop(): Promise<void>;
  /** Looks for work now (called by enqueue in the same process). */
  wake(): void;
  /** Resolves once nothing is in flight and a claim found nothing due (tests, CLI). */
  idle(): Promise<void>;
  readonly inFlight: number;
}

const errorOf = (e: GraphError, reason?: string): OutboxError => ({ code: e.code === 0 ? null : e.code, subcode: e.subcode, message: reason ?? e.message });

export function createOutboxWorker(deps: WorkerDeps, options: WorkerOptions = {}): OutboxWorker {
  const { ctx, repo, throttle } = deps;
  const id = options.workerId ?? `w_${randomBytes(6).toString('base64url')}`;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
  const flushBatch = options.flushBatch ?? DEFAULT_FLUSH_BATCH;
  const maxPosts = options.maxPostsInFlight ?? DEFAULT_CONNECTIONS;
  const heldRecheckMs = options.heldRecheckMs ?? DEFAULT_HELD_RECHECK_MS;
  const recoverEveryMs = options.recoverEveryMs ?? DEFAULT_RECOVER_EVERY_MS;
  const random = options.random ?? Math.random;
  const now = () => ctx.clock.now().getTime();

  /** Claimed messages until their outcome is written. */
  const inFlight = new Map<string, ClaimedMessage>();
  const deliveries = new Set<Promise<void>>();
  const pageInFlight = new Map<string, number>();
  /** Outcomes waiting for the next flush, with the message they belong to. */
  let pending: Array<{ m: ClaimedMessage; outcome: SendOutcome }> = [];
  let stopping = new AbortController();
  let running = false;
  let loopDone: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  /** Someone asked for a full claim (an enqueue in this process, idle()). */
  let claimWanted = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let lastFullClaimAt = 0;
  let fullClaimIntervalMs = MIN_CLAIM_INTERVAL_MS;
  let lastRecoverAt = 0;
  let idleWaiters: Array<() => void> = [];
  let toMark: Array<{ id: string; resolve: (marked: boolean) => void; reject: (e: unknown) => void }> = [];
  let marking = false;
  let posting = 0;
  const postWaiters: Array<() => void> = [];
  let timers: NodeJS.Timeout[] = [];

  /** Wakes the loop; `claim` asks for a full claim (otherwise it only writes outcomes). */
  function wakeLoop(claim: boolean): void {
    if (claim) claimWanted = true;
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  }

  function wake(): void {
    wakeLoop(true);
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

  function record(m: ClaimedMessage, outcome: SendOutcome): void {
    pending.push({ m, outcome });
    if (pending.length >= flushBatch) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      wakeLoop(false);
    } else if (flushTimer === undefined) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        wakeLoop(false);
      }, flushMs);
    }
  }

  function finish(m: ClaimedMessage, status: 'failed' | 'held' | 'unknown', error: OutboxError, holdPage = false): void {
    record(m, { kind: 'finish', id: m.id, pageId: m.pageId, status, error, holdPage });
  }

  function decide(m: ClaimedMessage, e: unknown): void {
    const t = now();
    if (!isGraphError(e)) {
      // Not an answer from Facebook (a bug, the database, an abort while stopping): the POST may
      // have happened, so treat it like a lost answer.
      const message = e instanceof Error ? e.message : String(e);
      if (m.atLeastOnce) record(m, { kind: 'requeue', id: m.id, at: t + 1000, error: { code: null, subcode: null, message } });
      else finish(m, 'unknown', { code: null, subcode: null, message: `No answer recorded: ${message}` });
      return;
    }
    observeSendError(keyedThrottle(throttle, throttleKeyOf(m.pageId, m.channel)), m.pageId, e);
    // A success status whose body cannot be read: Facebook accepted the request, so it most
    // likely went out; the same rule as a lost answer applies.
    const delivery = e.httpStatus !== null && e.httpStatus >= 200 && e.httpStatus < 300 ? 'unknown' : e.delivery;
    const decision = decideSendRetry({
      error: { kind: e.kind, code: e.code, subcode: e.subcode, delivery, retryAfterMs: e.retryAfterMs, message: e.detail },
      attempt: m.attempts + 1,
      atLeastOnce: m.atLeastOnce,
      now: t,
      random,
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
      ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
    });
    switch (decision.action) {
      case 'retry':
        return record(m, { kind: 'requeue', id: m.id, at: decision.at, error: errorOf(e) });
      case 'fail':
        return finish(m, 'failed', { code: decision.code, subcode: decision.subcode, message: decision.reason });
      case 'unknown':
        return finish(m, 'unknown', errorOf(e, decision.reason));
      case 'hold':
        return finish(m, 'held', errorOf(e, decision.reason), true);
    }
  }

  /** Sends one claimed message and records its outcome; never throws. */
  async function deliver(m: ClaimedMessage): Promise<void> {
    const body = bodyOf(m.psid, m.payload);
    // A Page's Instagram sends have their own budget (throttle.ts throttleKeyOf).
    const throttle = m.channel === 'instagram' ? keyedThrottle(deps.throttle, throttleKeyOf(m.pageId, 'instagram')) : deps.throttle;
    // The window may have closed since enqueue: refuse locally, without a Graph call.
    try {
      await checkWindow(deps, m.pageId, body, m.channel);
    } catch (e) {
      if (isPageKeeperError(e) && (e.code === 'PK_OUTSIDE_WINDOW' || e.code === 'PK_INSTAGRAM_UNAVAILABLE')) return finish(m, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}${e.fix ? ` | fix: ${e.fix}` : ''}` });
      return decide(m, e);
    }

    let token;
    try {
      token = await ctx.tokens.get(m.pageId);
    } catch (e) {
      if (isPageKeeperError(e) && e.code === 'PK_NO_VALID_TOKEN') return finish(m, 'held', { code: null, subcode: null, message: `${e.code}: ${e.message}` }, true);
      if (isPageKeeperError(e) && e.code === 'PK_PAGE_NOT_FOUND') return finish(m, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}` });
      // Nothing was sent: give it back rather than guess.
      return record(m, { kind: 'release', id: m.id, at: now() + 1000 });
    }

    // Pauses come from Facebook (regain times, throttle errors): give the claim back instead of
    // sitting on it, so the message goes out when the Page may send again. Nothing was sent,
    // so the attempt does not count.
    const paused = throttle.state(m.pageId).pausedUntil;
    if (paused !== null) return record(m, { kind: 'release', id: m.id, at: paused });
    try {
      await throttle.reserve(m.pageId, stopping.signal, { attachmentType: attachmentTypeOf(body) });
    } catch {
      return record(m, { kind: 'release', id: m.id, at: now() });
    }
    const pausedNow = throttle.state(m.pageId).pausedUntil;
    if (pausedNow !== null) return record(m, { kind: 'release', id: m.id, at: pausedNow });

    // Committed before the POST (batched with the other sends released at the same moment):
    // a crash from now on means "maybe sent" (unknown), never "lost". Before this point a crash
    // leaves the message queued, and another worker takes it over when the claim expires.
    let marked: boolean;
    try {
      marked = await markSending(m);
    } catch {
      return record(m, { kind: 'release', id: m.id, at: now() + 1000 });
    }
    // The claim was lost (this worker stalled past its lease and another took the message over).
    if (!marked) return record(m, { kind: 'release', id: m.id, at: now() });
    // A connection first, then the Page's second: a request queued inside the HTTP pool would
    // leave later than the throttle thinks and arrive in a burst with others (a 613).
    await postSlot();
    let res;
    try {
      await throttle.admit(m.pageId);
      res = await ctx.graph.request({
        method: 'POST',
        path: `${m.pageId}/messages`,
        json: body,
        token: token.token,
        idempotent: false,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    } catch (e) {
      freePostSlot();
      if (isGraphError(e) && e.kind === 'token_invalid') await deps.onTokenInvalid(m.pageId, token.userId, e).catch(() => {});
      return decide(m, e);
    }
    freePostSlot();
    throttle.observeUsage(m.pageId, { app: res.usage.app, pages: res.usage.pages });
    const data = res.data as { message_id?: unknown } | null;
    const messageId = typeof data === 'object' && data !== null && typeof data.message_id === 'string' ? data.message_id : null;
    record(m, { kind: 'sent', id: m.id, messageId });
  }

  function postSlot(): Promise<void> {
    if (posting < maxPosts) {
      posting++;
      return Promise.resolve();
    }
    return new Promise((resolve) => postWaiters.push(resolve));
  }

  function freePostSlot(): void {
    const next = postWaiters.shift();
    if (next) next();
    else posting--;
  }

  /**
   * Marks `sending` in batches: every message released by the throttle while the previous
   * statement ran goes in the next one, so a burst of sends costs one write, not one each.
   */
  function markSending(m: ClaimedMessage): Promise<boolean> {
    return new Promise((resolve, reject) => {
      toMark.push({ id: m.id, resolve, reject });
      if (!marking) {
        marking = true;
        // A few ms gathers the sends the throttle lets go across Pages into one statement; the
        // sliding-second check comes after, so the delay cannot bunch requests.
        setTimeout(() => void flushMarks(), MARK_GATHER_MS);
      }
    });
  }

  async function flushMarks(): Promise<void> {
    while (toMark.length > 0) {
      const batch = toMark;
      toMark = [];
      try {
        const marked = await repo.markSendingMany(
          id,
          batch.map((b) => b.id),
          now(),
        );
        for (const b of batch) b.resolve(marked.has(b.id));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    marking = false;
  }

  function dispatch(batch: readonly ClaimedMessage[]): void {
    for (const m of batch) {
      inFlight.set(m.id, m);
      pageInFlight.set(m.pageId, (pageInFlight.get(m.pageId) ?? 0) + 1);
      const p = deliver(m).catch((e: unknown) => {
        ctx.logger.error({ messageId: m.id, pageId: m.pageId, err: e instanceof Error ? e.message : String(e) }, 'outbox delivery failed');
        decide(m, e);
      });
      deliveries.add(p);
      void p.finally(() => deliveries.delete(p));
    }
  }

  function pageBudget(pageId: string): number {
    return Math.max(MIN_PAGE_IN_FLIGHT, Math.ceil(throttle.state(pageId).perSecond * PAGE_BACKLOG_SECONDS));
  }

  function fullPages(): string[] {
    const full: string[] = [];
    for (const [pageId, n] of pageInFlight) if (n >= pageBudget(pageId)) full.push(pageId);
    return full;
  }

  /**
   * One tick's database work in one transaction: write the outcomes gathered since the last
   * tick, claim the next message of each person whose message just finished and, when due, run
   * the full claim. Claimed messages are dispatched only after the commit.
   */
  async function tick(fullClaim: boolean, claiming: boolean): Promise<number> {
    const batch = pending;
    pending = [];
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const t = now();
    const people = new Map<string, { pageId: string; psid: string }>();
    for (const { m } of batch) {
      inFlight.delete(m.id);
      const n = (pageInFlight.get(m.pageId) ?? 1) - 1;
      if (n <= 0) pageInFlight.delete(m.pageId);
      else pageInFlight.set(m.pageId, n);
      people.set(`${m.pageId}\u0000${m.psid}`, { pageId: m.pageId, psid: m.psid });
    }
    let claimed: ClaimedMessage[];
    let fullClaimMs = 0;
    let heldAlong: StatusChange[] = [];
    try {
      claimed = await repo.transaction(async (tx) => {
        if (batch.length > 0) heldAlong = await tx.applyOutcomes(id, batch.map((b) => b.outcome), t);
        if (!claiming) return [];
        const full = new Set(fullPages());
        const followers = [...people.values()].filter((p) => !full.has(p.pageId));
        const got = await tx.claimHeads(id, t, leaseMs, Math.min(concurrency - inFlight.size, batchSize), { recipients: followers });
        if (!fullClaim) return got;
        const startedAt = performance.now();
        const more = await tx.claimHeads(id, t, leaseMs, Math.min(concurrency - inFlight.size - got.length, batchSize), { excludePages: [...full] });
        fullClaimMs = performance.now() - startedAt;
        // The scan is not limited per Page: what exceeds a Page's budget goes back before the
        // commit, so one Page cannot hold every slot.
        const taken = new Map<string, number>();
        for (const m of got) taken.set(m.pageId, (taken.get(m.pageId) ?? 0) + 1);
        const keep: ClaimedMessage[] = [];
        const excess: SendOutcome[] = [];
        for (const m of more) {
          const n = (pageInFlight.get(m.pageId) ?? 0) + (taken.get(m.pageId) ?? 0);
          if (n >= pageBudget(m.pageId)) excess.push({ kind: 'release', id: m.id, at: t });
          else {
            keep.push(m);
            taken.set(m.pageId, (taken.get(m.pageId) ?? 0) + 1);
          }
        }
        if (excess.length > 0) await tx.applyOutcomes(id, excess, t);
        return got.concat(keep);
      });
    } catch (e) {
      // The outcomes were not written: keep them for the next tick (the claims stay ours while we renew them).
      for (const b of batch) {
        inFlight.set(b.m.id, b.m);
        pageInFlight.set(b.m.pageId, (pageInFlight.get(b.m.pageId) ?? 0) + 1);
      }
      pending = batch.concat(pending);
      throw e;
    }
    if (batch.length > 0) deps.onStatusChanges?.(batch, heldAlong, t);
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
    if (inFlight.size > 0 || pending.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  async function loop(): Promise<void> {
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
        const claimed = pending.length > 0 || fullDue ? await tick(fullDue, room > 0) : 0;
        if (fullDue && claimed === 0 && inFlight.size === 0 && pending.length === 0) settleIdle();
        if (pending.length >= flushBatch) continue;
        const wait =
          pending.length > 0
            ? flushMs
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
    const t = now();
    await ctx.store.leases.acquire(`${WORKER_LEASE_PREFIX}${id}`, id, leaseMs);
    const live = await ctx.store.db
      .selectFrom('leases')
      .select(ctx.store.db.fn.countAll<number>().as('n'))
      .where('name', 'like', `${WORKER_LEASE_PREFIX}%`)
      .where('expires_at', '>', t)
      .executeTakeFirst();
    deps.setLiveWorkers(Math.max(1, Number(live?.n ?? 1)));
    if (inFlight.size > 0) await repo.renew(id, [...inFlight.keys()], t + leaseMs);
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
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      // Every message waiting for a throttle slot listens to it.
      setMaxListeners(0, stopping.signal);
      void heartbeat().catch(() => {});
      every(Math.max(100, Math.floor(leaseMs / 3)), heartbeat);
      every(heldRecheckMs, recheckHeld);
      loopDone = loop();
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
      await Promise.allSettled([...deliveries]);
      for (let attempt = 0; pending.length > 0 && attempt < 3; attempt++) {
        await tick(false, false).catch((e: unknown) => ctx.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'outbox outcomes not written while stopping'));
      }
      await ctx.store.leases.release(`${WORKER_LEASE_PREFIX}${id}`, id).catch(() => false);
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
