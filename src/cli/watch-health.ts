/**
 * `pagekeeper check --watch`: runs the health scheduler in the foreground until the signal
 * fires (SIGINT), with alerts delivered by the configured notifiers (the webhook from
 * PAGEKEEPER_NOTIFY_WEBHOOK_URL). It also delivers alerts for changes other processes record
 * (a `pagekeeper connect` elsewhere), since alerts are read from the shared audit log.
 */
import { createAlertDispatcher } from '../notify/create-alert-dispatcher.js';
import type { Notifier } from '../notify/types.js';
import type { PageKeeper } from '../pagekeeper.js';
import { DEFAULT_SWEEP_EVERY_MS, type HealthRound } from '../health/start-health-scheduler.js';

export interface WatchHealthOptions {
  every?: number;
  signal: AbortSignal;
  notifiers?: readonly Notifier[];
  /** One line per finished round (for stderr). */
  onRound?: (round: HealthRound) => void;
}

export interface WatchSummary {
  rounds: number;
  inspected: number;
  invalidated: number;
  changed: number;
}

export async function watchHealth(pk: PageKeeper, options: WatchHealthOptions): Promise<WatchSummary> {
  const alerts = options.notifiers && options.notifiers.length > 0 ? createAlertDispatcher(pk.context, { notifiers: options.notifiers }) : null;
  alerts?.start();
  const summary: WatchSummary = { rounds: 0, inspected: 0, invalidated: 0, changed: 0 };
  const scheduler = pk.schedule({
    every: options.every ?? DEFAULT_SWEEP_EVERY_MS,
    initialDelayMs: 0,
    ref: true,
    signal: options.signal,
    onChange: () => alerts?.kick(),
    onRound: (r) => {
      summary.rounds++;
      summary.inspected += r.inspected;
      summary.invalidated += r.invalidated;
      summary.changed += r.changed.length;
      options.onRound?.(r);
    },
  });
  try {
    await scheduler.done;
  } finally {
    await scheduler.stop();
    if (alerts) {
      await alerts.flush().catch(() => {});
      await alerts.stop();
    }
  }
  return summary;
}
