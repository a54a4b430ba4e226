/**
 * Remembers the highest rate-budget percent each Page's usage headers reported
 * (X-Business-Use-Case-Usage, read by the send throttle) and writes them to the hourly rollup in
 * one statement every `flushMs` (5 s), so the dashboard can chart how close each Page came to
 * Facebook's limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)
 * without a write per send.
 */
import type { ActivityRollupRepository } from '../store/index.js';

export const USAGE_FLUSH_MS = 5_000;

export interface UsageRecorder {
  observe(pageId: string, percent: number, at: number): void;
  /** Writes what was observed since the last flush. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  stop(): Promise<void>;
}

export function createUsageRecorder(rollups: Pick<ActivityRollupRepository, 'addUsage'>, onError: (e: unknown) => void, flushMs = USAGE_FLUSH_MS): UsageRecorder {
  let pending = new Map<string, { pageId: string; at: number; percent: number }>();
  let timer: NodeJS.Timeout | undefined;
  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await rollups.addUsage([...batch.values()]);
    } catch (e) {
      onError(e);
    }
  }
  return {
    observe(pageId, percent, at) {
      // One entry per Page and hour, so a flush that straddles an hour keeps both hours' peaks.
      const key = `${pageId}\u0000${Math.floor(at / 3_600_000)}`;
      const prev = pending.get(key);
      if (prev === undefined || percent >= prev.percent) pending.set(key, { pageId, at, percent });
      if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    stop: flush,
  };
}
