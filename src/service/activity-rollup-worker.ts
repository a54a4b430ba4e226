/**
 * Keeps the dashboard's chart rollups current and bounded inside `pagekeeper serve`: every
 * `everyMs` it writes how many Pages are in each status into the current hour's bucket and
 * deletes buckets past their keep time (docs/dashboard-charts.md). Outcome counts are written
 * by the outbox itself; this only snapshots and prunes. Several instances doing it at once write
 * the same rows.
 */
import type { PageKeeper } from '../pagekeeper.js';
import type { ServiceWorker } from './service-extensions.js';

export const ROLLUP_EVERY_MS = 5 * 60_000;

export function activityRollupWorker(pk: PageKeeper, logger: PageKeeper['context']['logger'], everyMs = ROLLUP_EVERY_MS): ServiceWorker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const store = pk.context.store;
  async function once(): Promise<void> {
    const now = pk.context.clock.now().getTime();
    try {
      await store.rollups.recordPageStatuses(now);
      await store.rollups.prune(now);
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'chart rollups not updated; trying again later');
    }
  }
  return {
    name: 'activity-rollups',
    start() {
      if (timer !== undefined) return;
      running = once();
      timer = setInterval(() => {
        running = once();
      }, everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
