/**
 * The outbox worker: claims due messages (per-row leases, recipient heads only, see
 * outbox-repository.ts), sends each through the Page's throttle, and records the outcome.
 *
 * Loses nothing, sends nothing twice (issue 5 item 3, issue 7 item 2):
 * - a message is marked `sending` and committed BEFORE its POST; a worker that dies mid-POST
 *   leaves it `sending` with a claim that expires, and recovery turns it into `unknown` (it may
 *   have gone out) or, when the caller opted into at-least-once, back into `queued`;
 * - claims are renewed while the worker holds them, so a slow send is not taken over;
 * - outcomes follow decideSendRetry: retry later, fail with Graph's code and reason, hold the
 *   Page's messages on token errors (until it has a valid token again), or `unknown`.
 *
 * Several instances on one database share a Page's Send API budget: each worker heartbeats a
 * lease `outbox-worker:<id>`, and the per-page cap is divided by the number of live workers.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPageKeeperError } from '../errors.js';
import { isGraphError, type GraphError } from '../graph/graph-error.js';
import { bodyOf, type ClaimedMessage, type OutboxError, type OutboxRepository } from './outbox-repository.js';
import { decideSendRetry } from './retry-policy.js';
import { attachmentTypeOf, checkWindow, observeSendError, type SendDeps } from './send.js';

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_CONCURRENCY = 256;
export const DEFAULT_BATCH_SIZE = 128;
export const DEFAULT_POLL_MS = 250;
/**
 * The full claim (a scan for every person's head) runs at most this often; between scans a
 * finished message claims its person's next one directly (claimNext, an index probe).
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
  batchSize?: number;
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
  const heldRecheckMs = options.heldRecheckMs ?? DEFAULT_HELD_RECHECK_MS;
  const recoverEveryMs = options.recoverEveryMs ?? DEFAULT_RECOVER_EVERY_MS;
  const random = options.random ?? Math.random;
  const now = () => ctx.clock.now().getTime();

  const inFlight = new Map<string, Promise<void>>();
  let stopping = new AbortController();
  let running = false;
  let loopDone: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let lastClaimAt = 0;
  let lastRecoverAt = 0;
  let idleWaiters: Array<() => void> = [];
  let timers: NodeJS.Timeout[] = [];

  function wake(): void {
    woken = true;
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  }

  function waitForWake(ms: number): Promise<void> {
    if (woken) return Promise.resolve();
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

  async function outcome(m: ClaimedMessage, e: unknown): Promise<void> {
    const t = now();
    if (!isGraphError(e)) {
      // Not an answer from Facebook (a bug, the database, an abort while stopping): the POST may
      // have happened, so treat it like a lost answer.
      const message = e instanceof Error ? e.message : String(e);
      if (m.atLeastOnce) await repo.requeue(m.id, id, t + 1000, { code: null, subcode: null, message }, t);
      else await repo.finish(m.id, id, 'unknown', { code: null, subcode: null, message: `No answer recorded: ${message}` }, t);
      return;
    }
    observeSendError(throttle, m.pageId, e);
    // A success status whose body cannot be read: Facebook accepted the request, so it most
    // likely went out; the same rule as a lost answer applies.
    const delivery = e.httpStatus !== null && e.httpStatus >= 200 && e.httpStatus < 300 ? 'unknown' : e.delivery;
    const decision = decideSendRetry({
      error: { kind: e.kind, code: e.code, subcode: e.subcode, delivery, retryAfterMs: e.retryAfterMs },
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
        await repo.requeue(m.id, id, decision.at, errorOf(e), t);
        return;
      case 'fail':
        await repo.finish(m.id, id, 'failed', { code: decision.code, subcode: decision.subcode, message: decision.reason }, t);
        return;
      case 'unknown':
        await repo.finish(m.id, id, 'unknown', errorOf(e, decision.reason), t);
        return;
      case 'hold':
        await hold(m, errorOf(e, decision.reason));
        return;
    }
  }

  async function hold(m: ClaimedMessage, error: OutboxError): Promise<void> {
    const t = now();
    await repo.finish(m.id, id, 'held', error, t);
    await repo.holdPage(m.pageId, error, t);
  }

  async function deliver(m: ClaimedMessage): Promise<void> {
    const body = bodyOf(m.psid, m.payload);
    // The window may have closed since enqueue: refuse locally, without a Graph call.
    try {
      await checkWindow(deps, m.pageId, body);
    } catch (e) {
      if (isPageKeeperError(e) && e.code === 'PK_OUTSIDE_WINDOW') {
        await repo.finish(m.id, id, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}${e.fix ? ` | fix: ${e.fix}` : ''}` }, now());
        return;
      }
      throw e;
    }

    let token;
    try {
      token = await ctx.tokens.get(m.pageId);
    } catch (e) {
      if (isPageKeeperError(e) && e.code === 'PK_NO_VALID_TOKEN') return hold(m, { code: null, subcode: null, message: `${e.code}: ${e.message}` });
      if (isPageKeeperError(e) && e.code === 'PK_PAGE_NOT_FOUND') {
        await repo.finish(m.id, id, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}` }, now());
        return;
      }
      throw e;
    }

    // Pauses come from Facebook (regain times, throttle errors): give the claim back instead of
    // sitting on it, so the message goes out when the Page may send again.
    const paused = throttle.state(m.pageId).pausedUntil;
    if (paused !== null) {
      await repo.requeue(m.id, id, paused, null, now());
      return;
    }
    try {
      await throttle.wait(m.pageId, stopping.signal, { attachmentType: attachmentTypeOf(body) });
    } catch {
      await repo.requeue(m.id, id, now(), null, now());
      return;
    }
    const pausedNow = throttle.state(m.pageId).pausedUntil;
    if (pausedNow !== null) {
      await repo.requeue(m.id, id, pausedNow, null, now());
      return;
    }

    // Committed before the POST: from here on a crash means "maybe sent", never "lost".
    if (!(await repo.markSending(m.id, id, now()))) return;
    let res;
    try {
      res = await ctx.graph.request({
        method: 'POST',
        path: `${m.pageId}/messages`,
        json: body,
        token: token.token,
        idempotent: false,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    } catch (e) {
      if (isGraphError(e) && e.kind === 'token_invalid') await deps.onTokenInvalid(m.pageId, token.userId, e).catch(() => {});
      return outcome(m, e);
    }
    throttle.observeUsage(m.pageId, { app: res.usage.app, pages: res.usage.pages });
    const data = res.data as { message_id?: unknown } | null;
    const messageId = typeof data === 'object' && data !== null && typeof data.message_id === 'string' ? data.message_id : null;
    await repo.markSent(m.id, id, messageId, now());
  }

  function track(m: ClaimedMessage): void {
    const p = deliver(m)
      .catch((e: unknown) => {
        ctx.logger.error({ messageId: m.id, pageId: m.pageId, err: e instanceof Error ? e.message : String(e) }, 'outbox delivery failed');
      })
      .finally(() => {
        inFlight.delete(m.id);
        if (running && inFlight.size < concurrency) void followOn(m);
        else wake();
      });
    inFlight.set(m.id, p);
  }

  async function followOn(m: ClaimedMessage): Promise<void> {
    try {
      const next = await repo.claimNext(id, m.pageId, m.psid, now(), leaseMs);
      if (next && running) track(next);
      else if (next) await repo.requeue(next.id, id, now(), null, now());
      else if (inFlight.size === 0) wake();
    } catch (e) {
      ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'outbox follow-on claim failed');
      wake();
    }
  }

  function settleIdle(): void {
    if (inFlight.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  async function loop(): Promise<void> {
    while (running) {
      woken = false;
      try {
        const t = now();
        if (t - lastRecoverAt >= recoverEveryMs) {
          lastRecoverAt = t;
          await repo.recoverExpired(t);
        }
        const room = concurrency - inFlight.size;
        let claimed = 0;
        if (room > 0) {
          const since = Date.now() - lastClaimAt;
          if (since < MIN_CLAIM_INTERVAL_MS) await sleep(MIN_CLAIM_INTERVAL_MS - since);
          lastClaimAt = Date.now();
          const batch = await repo.claim(id, now(), leaseMs, Math.min(room, batchSize));
          claimed = batch.length;
          for (const m of batch) track(m);
        }
        if (claimed === 0 && inFlight.size === 0) settleIdle();
        if (claimed === 0 || inFlight.size >= concurrency) await waitForWake(pollMs);
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
    for (const pageId of await repo.heldPages()) {
      ctx.tokens.invalidate(pageId);
      try {
        await ctx.tokens.get(pageId);
      } catch {
        continue;
      }
      if ((await repo.resumeHeld(pageId, now())) > 0) wake();
    }
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
      wake();
      await loopDone;
      // Messages waiting for a throttle slot give their claim back; POSTs in flight finish.
      stopping.abort();
      await Promise.allSettled([...inFlight.values()]);
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
