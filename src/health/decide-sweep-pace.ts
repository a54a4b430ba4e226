/**
 * How long a sweep waits before its next batch call so it never spends more than its share of
 * the app's rate budget. X-App-Usage's `call_count` is the percentage of the
 * app's rolling-hour budget already used (docs/graph-api.md "Rate-limit headers";
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting/). Each item of a
 * batch counts as one call, so a sweep of many tokens can eat the budget the sends need.
 *
 * - no header, or well under the share  -> the normal spacing;
 * - from 75% of the share up            -> slower, linearly, up to the pause;
 * - at or above the share               -> pause, then look again (usage falls as the hour rolls).
 */
export const DEFAULT_BUDGET_SHARE = 0.5;
export const DEFAULT_MIN_CALL_INTERVAL_MS = 100;
export const DEFAULT_BUDGET_PAUSE_MS = 60_000;
/** Slowing down starts at this fraction of the share. */
const SLOWDOWN_FROM = 0.75;

export interface SweepPaceInput {
  /** X-App-Usage call_count (0-100+), null when no header was seen (low usage). */
  appCallCount: number | null;
  /** The share of the budget a sweep may use, 0-1. */
  share: number;
  minIntervalMs: number;
  pauseMs: number;
}

export type SweepPace = { action: 'go'; waitMs: number } | { action: 'pause'; waitMs: number };

export function decideSweepPace(input: SweepPaceInput): SweepPace {
  const { appCallCount, minIntervalMs, pauseMs } = input;
  const share = Math.min(1, Math.max(0, input.share)) * 100;
  if (appCallCount === null || !Number.isFinite(appCallCount)) return { action: 'go', waitMs: minIntervalMs };
  if (appCallCount >= share) return { action: 'pause', waitMs: pauseMs };
  const from = share * SLOWDOWN_FROM;
  if (appCallCount < from) return { action: 'go', waitMs: minIntervalMs };
  const t = (appCallCount - from) / (share - from);
  return { action: 'go', waitMs: Math.round(minIntervalMs + t * (pauseMs - minIntervalMs)) };
}
