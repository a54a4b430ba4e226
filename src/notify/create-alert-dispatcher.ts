/**
 * Turns state changes into alerts, exactly once each. The audit log is the
 * source: every module that changes a Page's or a token's state already appends one audit row
 * per change (conditional writes make concurrent failures one change), so reading the log
 * after a cursor yields one alert per change, never one per failing call.
 *
 * Deliveries are rows of the notifications table (unique per event and notifier), so they
 * survive restarts: a delivery that fails is retried with exponential backoff by the loop, in
 * this process or the next. One instance at a time runs the loop (a lease), so several
 * instances on one database do not send an alert twice.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { StoredPage } from '../store/types.js';
import type { PageKeeperContext } from '../context.js';
import { isAlertEvent, toHealthEvent } from './to-health-event.js';
import type { HealthEvent, Notifier } from './types.js';

export const DEFAULT_NOTIFY_POLL_MS = 5_000;
export const DEFAULT_NOTIFY_MAX_ATTEMPTS = 12;
export const DEFAULT_NOTIFY_RETRY_BASE_MS = 2_000;
export const DEFAULT_NOTIFY_MAX_RETRY_MS = 3_600_000;
const LEASE_NAME = 'notify-delivery';
const LEASE_TTL_MS = 60_000;
const SCAN_BATCH = 500;
const DELIVER_BATCH = 100;
const MAX_ERROR_CHARS = 300;

export interface AlertDispatcherOptions {
  notifiers: readonly Notifier[];
  /** How often the loop looks for new events and due retries once started. */
  pollMs?: number;
  /** After this many failed attempts a delivery is given up (status `failed`). */
  maxAttempts?: number;
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** Names this process in the delivery lease. */
  instanceId?: string;
  random?: () => number;
}

export interface AlertDispatcher {
  /** Something changed: look for new events soon (coalesced). */
  kick(): void;
  /** Turns pending events into deliveries and attempts every due delivery; resolves when done. */
  flush(): Promise<void>;
  /** Starts the polling loop (timers do not keep the process alive). */
  start(): void;
  /** Stops the loop and waits for the delivery in progress. */
  stop(): Promise<void>;
  readonly notifierNames: readonly string[];
}

export type { NotificationStatus } from '../store/notification-repository.js';

/** Backoff before attempt `attempts + 1`: exponential, capped, with jitter in [50%, 100%]. */
export function notifyRetryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

export function createAlertDispatcher(ctx: Pick<PageKeeperContext, 'store' | 'clock' | 'logger'>, options: AlertDispatcherOptions): AlertDispatcher {
  const { store, clock, logger } = ctx;
  const pollMs = options.pollMs ?? DEFAULT_NOTIFY_POLL_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_NOTIFY_MAX_ATTEMPTS;
  const retryBaseMs = options.retryBaseMs ?? DEFAULT_NOTIFY_RETRY_BASE_MS;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT_NOTIFY_MAX_RETRY_MS;
  const random = options.random ?? Math.random;
  const holder = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const notifiers = new Map<string, Notifier>();
  options.notifiers.forEach((n, i) => notifiers.set(n.name ?? `notifier-${i}`, n));
  const names = [...notifiers.keys()];

  // A notifier seen for the first time starts at the end of the log: it is told about what
  // happens from now on, not about history.
  const ready = (async () => {
    const at = await store.audit.lastId();
    for (const name of names) await store.notifications.initCursor(name, at);
  })();
  ready.catch(() => {});

  async function scan(): Promise<void> {
    const pages = new Map<string, StoredPage | undefined>();
    for (const name of names) {
      for (;;) {
        const cursor = (await store.notifications.cursor(name)) ?? 0;
        const entries = await store.audit.listAfter(cursor, SCAN_BATCH);
        if (entries.length === 0) break;
        const now = clock.now();
        await store.transaction(async (tx) => {
          for (const entry of entries) {
            if (!isAlertEvent(entry.event)) continue;
            const pageId = entry.pageId;
            if (pageId !== null && !pages.has(pageId)) pages.set(pageId, await tx.pages.get(pageId));
            const event = toHealthEvent({ ...entry, event: entry.event }, pageId === null ? undefined : pages.get(pageId));
            await tx.notifications.enqueue(entry.id, name, JSON.stringify(event), now);
          }
          await tx.notifications.setCursor(name, entries[entries.length - 1]!.id);
        });
        if (entries.length < SCAN_BATCH) break;
      }
    }
  }

  async function deliverDue(): Promise<void> {
    if (names.length === 0) return;
    const due = await store.notifications.due(names, clock.now(), DELIVER_BATCH);
    for (const row of due) {
      const notifier = notifiers.get(row.notifier);
      if (!notifier) continue;
      const attempts = row.attempts + 1;
      try {
        await notifier.notify(JSON.parse(row.payload) as HealthEvent);
        await store.notifications.markDelivered(row.id, attempts, clock.now());
      } catch (e) {
        const message = (e instanceof Error ? e.message : String(e)).slice(0, MAX_ERROR_CHARS);
        const giveUp = attempts >= maxAttempts;
        const next = new Date(clock.now().getTime() + notifyRetryDelayMs(attempts, retryBaseMs, maxRetryMs, random));
        await store.notifications.markFailed(row.id, { attempts, giveUp, error: message, nextAttemptAt: next });
        logger.warn({ notifier: row.notifier, eventId: row.eventId, attempts, giveUp, error: message }, 'alert delivery failed');
      }
    }
  }

  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let soon: NodeJS.Immediate | null = null;
  let stopped = false;

  async function tick(): Promise<void> {
    await ready;
    if (!(await store.leases.acquire(LEASE_NAME, holder, LEASE_TTL_MS))) return;
    try {
      await scan();
      await deliverDue();
    } finally {
      await store.leases.release(LEASE_NAME, holder).catch(() => false);
    }
  }

  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await tick();
        } while (again && !stopped);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  function kick(): void {
    if (stopped || soon) return;
    soon = setImmediate(() => {
      soon = null;
      run().catch((e: unknown) => logger.error({ error: e instanceof Error ? e.message : String(e) }, 'alert loop failed'));
    });
  }

  return {
    notifierNames: names,
    kick,
    async flush() {
      if (running) await running.catch(() => {});
      await run();
    },
    start() {
      if (timer || stopped) return;
      timer = setInterval(kick, pollMs);
      timer.unref();
      kick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (soon) clearImmediate(soon);
      timer = null;
      soon = null;
      if (running) await running.catch(() => {});
    },
  };
}
