/**
 * Periodic health sweeps: every `every` (default 6 h) plus or minus `jitter`,
 * each instance walks the sweep partitions, takes a lease on each partition it can, and
 * sweeps the stale tokens of all the partitions it holds together (sweepStaleTokens). Several instances on one database
 * split the work; none repeats what another did this period. Calls are spaced by
 * decideSweepPace from the app's X-App-Usage so a sweep stays within its share of the budget.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { UsageSnapshot } from '../graph/usage.js';
import type { PageKeeperContext } from '../context.js';
import { DEFAULT_BUDGET_PAUSE_MS, DEFAULT_BUDGET_SHARE, DEFAULT_MIN_CALL_INTERVAL_MS, decideSweepPace } from './decide-sweep-pace.js';
import { refreshSystemUserTokens } from './refresh-system-user-tokens.js';
import type { RejudgedPage } from './rejudge-pages.js';
import { sweepStaleTokens } from './sweep-stale-tokens.js';

export const DEFAULT_SWEEP_EVERY_MS = 6 * 3600 * 1000;
export const DEFAULT_SWEEP_PARTITIONS = 8;
export const DEFAULT_SWEEP_LEASE_TTL_MS = 5 * 60 * 1000;
/** The bound of one round: tokens beyond it wait for the next round (least recently checked first). */
export const DEFAULT_MAX_TOKENS_PER_ROUND = 100_000;
const MAX_JITTER_MS = 10 * 60 * 1000;
const REFRESH_LEASE = 'system-user-refresh';

export interface HealthSchedulerOptions {
  /** Time between rounds, ms. Default 6 h. */
  every?: number;
  /** Rounds start up to this many ms early or late; default 10% of `every`, at most 10 min. */
  jitter?: number;
  /** Delay before the first round; default a random share of the jitter. 0 runs at once. */
  initialDelayMs?: number;
  /** Share of the app's rate budget a sweep may use, 0-1. Default 0.5. */
  budgetShare?: number;
  minCallIntervalMs?: number;
  /** Wait when usage is at or above the share before looking again. */
  pauseMs?: number;
  /** How many partitions the tokens are split into; every instance must use the same number. */
  partitions?: number;
  maxTokensPerRound?: number;
  leaseTtlMs?: number;
  /** Names this instance in the leases. */
  instanceId?: string;
  /** Called after each round. */
  onRound?: (round: HealthRound) => void;
  /** Called when a round changed something (to wake the alert loop). */
  onChange?: () => void;
  onError?: (error: unknown) => void;
  /** Stops the scheduler when aborted. */
  signal?: AbortSignal;
  /** Injected for tests: where usage is read from (default the Graph client's snapshot). */
  usage?: () => UsageSnapshot;
  /** Injected for tests: how pacing waits between calls happen. Must resolve promptly when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Keep the process alive while waiting (true for `check --watch`; default false). */
  ref?: boolean;
}

export interface HealthRound {
  startedAt: Date;
  finishedAt: Date;
  /** Partitions this instance swept (held the lease for). */
  partitions: number[];
  inspected: number;
  invalidated: number;
  failed: number;
  calls: number;
  /** Batch calls that read (and repaired) webhook subscriptions, besides `calls`. */
  subscriptionCalls: number;
  /** Pages whose webhook subscription Facebook had dropped and this round subscribed again. */
  resubscribed: string[];
  /** Times the sweep paused because usage reached the share. */
  pauses: number;
  /** Total ms waited for pacing. */
  waitedMs: number;
  changed: RejudgedPage[];
  /** 60-day system user tokens refreshed this round (refresh-system-user-tokens.ts). */
  refreshed: number;
  /** False when a bound, a lost lease or a stop left stale tokens for the next round. */
  complete: boolean;
}

export interface HealthScheduler {
  /** Runs one round now (also what the timer does). Rounds never overlap. */
  runRound(): Promise<HealthRound>;
  /** Stops the timer and waits for the round in progress to stop. */
  stop(): Promise<void>;
  /** Resolves when the scheduler has stopped (by stop() or the signal). */
  readonly done: Promise<void>;
}

function makeSleep(ref: boolean) {
  return (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      if (!ref) t.unref();
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
}

export function startHealthScheduler(ctx: PageKeeperContext, options: HealthSchedulerOptions = {}): HealthScheduler {
  const every = options.every ?? DEFAULT_SWEEP_EVERY_MS;
  const jitter = options.jitter ?? Math.min(MAX_JITTER_MS, Math.round(every * 0.1));
  const partitions = Math.max(1, options.partitions ?? DEFAULT_SWEEP_PARTITIONS);
  const share = options.budgetShare ?? DEFAULT_BUDGET_SHARE;
  const minIntervalMs = options.minCallIntervalMs ?? DEFAULT_MIN_CALL_INTERVAL_MS;
  const pauseMs = options.pauseMs ?? DEFAULT_BUDGET_PAUSE_MS;
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_SWEEP_LEASE_TTL_MS;
  const random = options.random ?? Math.random;
  const timerSleep = makeSleep(options.ref ?? false);
  const sleep = options.sleep ?? timerSleep;
  const usage = options.usage ?? (() => ctx.graph.usage());
  const holder = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const stopper = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopper.signal]) : stopper.signal;

  let current: Promise<HealthRound> | null = null;

  async function round(): Promise<HealthRound> {
    const startedAt = ctx.clock.now();
    // Tokens checked in the last half period were done this period (by us or another instance).
    const checkedBefore = new Date(startedAt.getTime() - every / 2);
    const out: HealthRound = { startedAt, finishedAt: startedAt, partitions: [], inspected: 0, invalidated: 0, failed: 0, calls: 0, subscriptionCalls: 0, resubscribed: [], pauses: 0, waitedMs: 0, changed: [], refreshed: 0, complete: true };
    // One instance at a time refreshes the system user tokens that end soon, before the sweep.
    if (!signal.aborted && (await ctx.store.leases.acquire(REFRESH_LEASE, holder, leaseTtlMs))) {
      try {
        out.refreshed = (await refreshSystemUserTokens(ctx, { signal })).refreshed.length;
      } catch (e) {
        if (!signal.aborted) throw e;
      } finally {
        await ctx.store.leases.release(REFRESH_LEASE, holder).catch(() => false);
      }
    }
    const maxTokens = options.maxTokensPerRound ?? DEFAULT_MAX_TOKENS_PER_ROUND;
    // Every partition whose lease this instance gets is swept in this round, and their tokens
    // share the batch calls. Instances start at different partitions so that, starting
    // together, they split the partitions rather than race for the same ones.
    const offset = Math.floor(random() * partitions);
    const held = new Set<number>();
    const leaseOf = (p: number) => `health-sweep:${p}/${partitions}`;
    for (let k = 0; k < partitions && !signal.aborted; k++) {
      const p = (offset + k) % partitions;
      if (await ctx.store.leases.acquire(leaseOf(p), holder, leaseTtlMs)) {
        held.add(p);
        out.partitions.push(p);
      }
    }
    let first = true;
    try {
      if (held.size > 0) {
        const r = await sweepStaleTokens(ctx, {
          checkedBefore,
          partitions,
          held,
          maxTokens,
          signal,
          beforeCall: async () => {
            if (signal.aborted) return false;
            const pace = decideSweepPace({ appCallCount: usage().app?.callCount ?? null, share, minIntervalMs, pauseMs });
            const waitMs = first && pace.action === 'go' ? 0 : pace.waitMs;
            first = false;
            if (pace.action === 'pause') out.pauses++;
            if (waitMs > 0) {
              out.waitedMs += waitMs;
              await sleep(waitMs, signal);
            }
            if (signal.aborted) return false;
            // After a pause one call goes out: it refreshes the usage rather than pausing on a stale number.
            // Renewing each lease is also the check that it is still ours; a lost one leaves the sweep.
            for (const p of [...held]) {
              if (!(await ctx.store.leases.acquire(leaseOf(p), holder, leaseTtlMs))) {
                held.delete(p);
                out.complete = false;
              }
            }
            return held.size > 0;
          },
        }).catch((e: unknown) => {
          // Stopped by the signal mid-call: the round ends like any other stop.
          if (signal.aborted) return undefined;
          throw e;
        });
        if (r) {
          out.inspected += r.inspected;
          out.invalidated += r.invalidated;
          out.failed += r.failed;
          out.calls += r.calls;
          out.subscriptionCalls += r.subscriptionCalls;
          out.resubscribed.push(...r.resubscribed);
          out.changed.push(...r.changed);
          if (!r.complete) out.complete = false;
        }
      }
    } finally {
      for (const p of out.partitions) await ctx.store.leases.release(leaseOf(p), holder).catch(() => false);
    }
    if (signal.aborted) out.complete = false;
    out.finishedAt = ctx.clock.now();
    ctx.logger.info({ partitions: out.partitions.length, inspected: out.inspected, invalidated: out.invalidated, failed: out.failed, calls: out.calls, pauses: out.pauses, changed: out.changed.length }, 'scheduled health check finished');
    if (out.invalidated > 0 || out.changed.length > 0 || out.refreshed > 0 || out.resubscribed.length > 0) options.onChange?.();
    return out;
  }

  function runRound(): Promise<HealthRound> {
    if (current) return current;
    current = round().finally(() => {
      current = null;
    });
    return current;
  }

  const done = (async () => {
    let wait = options.initialDelayMs ?? Math.round(random() * jitter);
    while (!signal.aborted) {
      if (wait > 0) await timerSleep(wait, signal);
      if (signal.aborted) break;
      try {
        // Not `onRound?.(await runRound())`: without a listener that would skip the round itself.
        const r = await runRound();
        options.onRound?.(r);
      } catch (e) {
        if (signal.aborted) break;
        options.onError?.(e);
        ctx.logger.error({ error: e instanceof Error ? e.message : String(e) }, 'scheduled health check failed');
      }
      wait = Math.max(0, Math.round(every + (random() * 2 - 1) * jitter));
    }
  })();

  return {
    runRound,
    done,
    async stop() {
      stopper.abort();
      await done;
      if (current) await current.catch(() => undefined);
    },
  };
}
