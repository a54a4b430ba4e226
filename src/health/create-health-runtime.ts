/**
 * The per-PageKeeper health machinery in one object (no module state): the token-failure
 * handler behind every Page call, the alert loop over the notifiers, deauthorize, the reconnect
 * report and the scheduler, wired so that every state change wakes the alert loop.
 */
import { createAlertDispatcher, type AlertDispatcher, type AlertDispatcherOptions } from '../notify/create-alert-dispatcher.js';
import type { HealthEvent, Notifier } from '../notify/types.js';
import type { ConnectResult } from '../tokens/connect.js';
import type { PageKeeperContext } from '../context.js';
import { callWithFailover } from './call-with-failover.js';
import { handleDeauthorize, type DeauthorizeResult } from './handle-deauthorize.js';
import { createTokenFailureHandler, type TokenFailureHandler } from './handle-token-failure.js';
import { recentHealthEvents } from './recent-events.js';
import { reportReconnect, snapshotBeforeConnect } from './report-reconnect.js';
import { startHealthScheduler, type HealthScheduler, type HealthSchedulerOptions } from './start-health-scheduler.js';

/** Alerts still pending at close get this long to go out; the rest wait for the next process. */
export const CLOSE_FLUSH_MS = 5_000;

export interface HealthRuntimeOptions {
  notifiers?: readonly Notifier[];
  /** Delivery loop tuning (poll interval, retries). */
  notify?: Omit<AlertDispatcherOptions, 'notifiers'>;
}

export interface HealthRuntime {
  readonly failures: TokenFailureHandler;
  /** Null when no notifier is configured. */
  readonly alerts: AlertDispatcher | null;
  /** Something changed state: wake the alert loop. */
  changed(): void;
  /** A Graph call with the Page's token, failing over to another admin's token on 190/102. */
  call<T>(pageId: string, fn: (token: string) => Promise<T>, options: { idempotent: boolean }): Promise<T>;
  handleDeauthorize(userId: string): Promise<DeauthorizeResult>;
  /** Runs a connect and reports what it healed, gained and lost. */
  connect(run: () => Promise<ConnectResult>): Promise<ConnectResult>;
  events(options?: { limit?: number; pageId?: string; beforeId?: number }): Promise<HealthEvent[]>;
  schedule(options?: HealthSchedulerOptions): HealthScheduler;
  /** Stops schedulers and the alert loop, giving pending alerts a short time to go out. */
  close(): Promise<void>;
}

export function createHealthRuntime(ctx: PageKeeperContext, options: HealthRuntimeOptions = {}): HealthRuntime {
  const alerts = options.notifiers && options.notifiers.length > 0 ? createAlertDispatcher(ctx, { ...options.notify, notifiers: options.notifiers }) : null;
  alerts?.start();
  const changed = () => alerts?.kick();
  const failures = createTokenFailureHandler(ctx, { onChange: changed });
  const schedulers = new Set<HealthScheduler>();

  return {
    failures,
    alerts,
    changed,
    call: (pageId, fn, opts) => callWithFailover(ctx, failures, pageId, fn, opts),
    async handleDeauthorize(userId) {
      const r = await handleDeauthorize(ctx, userId);
      if (r.changed) changed();
      return r;
    },
    async connect(run) {
      const before = await snapshotBeforeConnect(ctx);
      const result = await run();
      const restored = await reportReconnect(ctx, before, result);
      changed();
      return { ...result, restored };
    },
    events: (opts) => recentHealthEvents(ctx, opts),
    schedule(opts = {}) {
      const s = startHealthScheduler(ctx, {
        ...opts,
        onChange: () => {
          changed();
          opts.onChange?.();
        },
      });
      schedulers.add(s);
      void s.done.finally(() => schedulers.delete(s));
      return s;
    },
    async close() {
      await Promise.allSettled([...schedulers].map((s) => s.stop()));
      if (!alerts) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([alerts.flush().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, CLOSE_FLUSH_MS)))]);
      clearTimeout(timer);
      await alerts.stop();
    },
  };
}
