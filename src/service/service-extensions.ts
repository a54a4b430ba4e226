/**
 * The work that runs inside `pagekeeper serve` beside the HTTP server: the
 * outbox worker and the health scheduler. Each worker is started after the
 * server listens and stopped (in parallel) on SIGTERM before the database closes.
 */
import type { WorkerOptions } from '../messenger/worker.js';
import type { HealthSchedulerOptions } from '../health/start-health-scheduler.js';
import type { PageKeeper } from '../pagekeeper.js';
import { activityRollupWorker } from './activity-rollup-worker.js';
import type { OutboxPort } from './deps.js';

export interface ServiceWorker {
  name: string;
  start(): void | Promise<void>;
  /** Stop taking work; finish or release what is in flight; resolve within `deadlineMs`. */
  stop(deadlineMs: number): Promise<void>;
}

export interface ServiceExtensions {
  workers: ServiceWorker[];
  /** The outbox the REST API enqueues into; absent: POST /v1/pages/{id}/messages answers 503. */
  outbox?: OutboxPort;
}

export interface ServiceExtensionContext {
  pk: PageKeeper;
  /** A pino-compatible logger (never give it a secret). */
  logger: PageKeeper['context']['logger'];
  /** Outbox worker tuning; `false`: no worker in this process (enqueue still works). */
  outboxWorker?: WorkerOptions | false;
  /** Health sweep tuning; `false`: no scheduler in this process. */
  healthScheduler?: HealthSchedulerOptions | false;
}

/** Resolves when `p` settles or after `ms`, whichever comes first; says which. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))));
  try {
    return await Promise.race([p.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The REST API's view of the library's durable outbox (src/messenger/outbox.ts). */
export function outboxPortOf(pk: PageKeeper): OutboxPort {
  return {
    enqueue: (pageId, body, options) =>
      pk.messenger.enqueue(pageId, body, {
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey, ...(options.idempotencyScope === undefined ? {} : { idempotencyScope: options.idempotencyScope }) }),
        ...(options.channel === undefined ? {} : { channel: options.channel }),
      }),
    get: (id) => pk.messenger.get(id),
  };
}

/**
 * The outbox worker. Stop: no new claims, messages waiting for a throttle slot give their claim
 * back, POSTs in flight finish. A POST still running at the deadline is left `sending` under a
 * claim that expires; the next worker's recovery turns it into `unknown` (or queues it again
 * for at-least-once messages), so nothing is lost or silently sent twice.
 */
export function outboxServiceWorker(pk: PageKeeper, logger: ServiceExtensionContext['logger'], options: WorkerOptions = {}): ServiceWorker {
  let worker: ReturnType<PageKeeper['messenger']['startWorker']> | undefined;
  return {
    name: 'outbox',
    start() {
      worker ??= pk.messenger.startWorker(options);
    },
    async stop(deadlineMs) {
      if (!worker) return;
      const w = worker;
      if (!(await within(w.stop(), deadlineMs))) logger.warn({ inFlight: w.inFlight }, 'outbox worker did not finish in time; its claims expire and are recovered by the next worker');
    },
  };
}

/** Periodic, budget-paced, lease-partitioned health sweeps (src/health/start-health-scheduler.ts). */
export function healthServiceWorker(pk: PageKeeper, logger: ServiceExtensionContext['logger'], options: HealthSchedulerOptions = {}): ServiceWorker {
  let scheduler: ReturnType<PageKeeper['schedule']> | undefined;
  // The Pages-by-status snapshots and the pruning of the chart rollups go with the health work.
  const rollups = activityRollupWorker(pk, logger);
  return {
    name: 'health',
    start() {
      scheduler ??= pk.schedule(options);
      void rollups.start();
    },
    async stop(deadlineMs) {
      await rollups.stop(deadlineMs);
      if (!scheduler) return;
      // A sweep stops between calls and gives its partition lease back.
      if (!(await within(scheduler.stop(), deadlineMs))) logger.warn({}, 'health sweep did not stop in time; its partition lease expires on its own');
    },
  };
}

/** Builds the workers and the outbox for one serve process. */
export async function createServiceExtensions(ctx: ServiceExtensionContext): Promise<ServiceExtensions> {
  const workers: ServiceWorker[] = [];
  if (ctx.outboxWorker !== false) workers.push(outboxServiceWorker(ctx.pk, ctx.logger, ctx.outboxWorker ?? {}));
  if (ctx.healthScheduler !== false) workers.push(healthServiceWorker(ctx.pk, ctx.logger, ctx.healthScheduler ?? {}));
  return { workers, outbox: outboxPortOf(ctx.pk) };
}
