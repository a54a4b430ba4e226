/**
 * Adaptive send throttle, one per process, keyed by Page.
 *
 * Facebook allows 300 Send API calls per second per Page for text and 10 per second for audio
 * and video (docs/graph-api.md "Rate-limit headers"; Send API reference, "Limits":
 * https://developers.facebook.com/docs/messenger-platform/reference/send-api). Beyond the
 * per-second cap, the rolling budgets reported in X-Business-Use-Case-Usage (types messenger
 * and pages) and X-App-Usage end in code 613/80006/4 throttling, and a throttled Page stays
 * blocked for `estimated_time_to_regain_access` minutes. So the throttle:
 * - spaces grants evenly at the Page's rate (never a burst above the cap: at most `cap` grants
 *   in any one-second window);
 * - slows down before 100% of a budget, not after, along SLOWDOWN_CURVE;
 * - pauses a Page until its regain time, or for a throttle error's retry-after;
 * - pauses every Page when the app's own budget (X-App-Usage) is spent.
 *
 * `acquire` reserves the next slot and returns how long to wait for it, so concurrent senders
 * for one Page are staggered rather than all woken together. Time comes from the injected `now`.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { AppUsage, BusinessUseCaseUsage } from '../graph/usage.js';
import type { MediaType } from './types.js';

/** Facebook's published Send API figure; a configured cap can only be lower. */
export const SEND_API_MAX_PER_SECOND = 300;
/** Audio and video sends per second per Page. */
export const SEND_API_MEDIA_MAX_PER_SECOND = 10;
/**
 * Instagram sends per second per Instagram account: Meta's Messenger rate page says 300, the
 * Graph rate-limiting page says 100; pagekeeper keeps to 100
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting#instagram-messaging).
 * Audio and video stay at SEND_API_MEDIA_MAX_PER_SECOND.
 */
export const INSTAGRAM_SEND_MAX_PER_SECOND = 100;
const INSTAGRAM_KEY_PREFIX = 'instagram:';

/**
 * The throttle key of a send: a Page's Messenger sends share the Page's key; its Instagram sends
 * use their own (one Instagram account per Page), so neither channel's budget starves the other.
 */
export function throttleKeyOf(pageId: string, channel: 'messenger' | 'instagram' = 'messenger'): string {
  return channel === 'instagram' ? `${INSTAGRAM_KEY_PREFIX}${pageId}` : pageId;
}

/** The highest cap a key may have: Instagram keys stop at INSTAGRAM_SEND_MAX_PER_SECOND. */
export function channelCap(key: string, cap: number): number {
  return key.startsWith(INSTAGRAM_KEY_PREFIX) ? Math.min(cap, INSTAGRAM_SEND_MAX_PER_SECOND) : cap;
}

/**
 * A send let go this long (ms) after its slot takes a fresh one: sends let go together late
 * would reach Facebook in a burst with those of the slots after them. 25 ms at a Page's 95/s
 * is under 3 sends, inside the 5% a configured cap usually keeps under Facebook's.
 */
export const LATE_SLOT_MS = 25;
/** Re-checks of the sliding second in one `wait` (bounded so an injected clock that never moves cannot spin). */
const MAX_WINDOW_WAITS = 100;
/** How long all Pages pause when X-App-Usage reaches 100% (it carries no regain time; the window rolls over an hour). */
export const DEFAULT_APP_PAUSE_MS = 60_000;
/** Business-use-case types that count against sending; ads types do not. */
export const SEND_USAGE_TYPES: readonly string[] = ['messenger', 'pages'];

/**
 * Share of the cap used at a given % of budget, linear between points: full speed up to 75%,
 * half speed at 90%, a tenth at 100% and above (still trickling so fresh headers arrive and
 * show when usage falls; a real block comes with a regain time and pauses instead).
 */
export const SLOWDOWN_CURVE: ReadonlyArray<readonly [percent: number, factor: number]> = [
  [75, 1],
  [90, 0.5],
  [100, 0.1],
];

export interface UsageObservation {
  /** X-App-Usage; null or absent when the header was absent (low usage). */
  app?: AppUsage | null;
  /** X-Business-Use-Case-Usage by id, as the Graph client parses it (src/graph/usage.ts). */
  pages?: Record<string, BusinessUseCaseUsage[]>;
}

export interface SendThrottleOptions {
  /** Cap for every Page; clamped to SEND_API_MAX_PER_SECOND. */
  maxPerSecond?: number;
  /** Lower caps for some Pages (for example an emulator limited to 100/s). */
  pageCaps?: Record<string, number>;
  appPauseMs?: number;
  /** ms since epoch. */
  now: () => number;
  /** Used by `wait`; defaults to a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PageThrottleState {
  /** Grants per second right now (cap x slowdown). */
  perSecond: number;
  cap: number;
  /** Highest send-related budget use reported for the Page, in %. */
  pageUsagePercent: number;
  appUsagePercent: number;
  /** ms since epoch until which the Page (or the whole app) is paused; null when not paused. */
  pausedUntil: number | null;
}

export interface AcquireOptions {
  /** The attachment type; audio and video also take a slot of the 10/s media budget. */
  attachmentType?: MediaType | 'template' | null;
}

export interface SendThrottle {
  /** Reserves the next send slot for the Page; returns ms to wait before sending (0 = go now). */
  acquire(pageId: string, opts?: AcquireOptions): number;
  /** Reserves the next slot and resolves to when it starts (ms since the epoch), without waiting for it. */
  slot(pageId: string, signal?: AbortSignal, opts?: AcquireOptions): Promise<number>;
  /** `reserve` then `admit`: the one call a sender makes; rejects with the signal's reason when aborted. */
  wait(pageId: string, signal?: AbortSignal, opts?: AcquireOptions): Promise<void>;
  /** `acquire`, then waits for the slot. A sender that must do work between its slot and its request calls `admit` right before the request. */
  reserve(pageId: string, signal?: AbortSignal, opts?: AcquireOptions): Promise<void>;
  /** Waits, if needed, until fewer than the cap were let go in the last second, and counts this send. */
  admit(pageId: string, signal?: AbortSignal): Promise<void>;
  /** Feeds the usage headers of a response to a call made for this Page. */
  observeUsage(pageId: string, usage: UsageObservation): void;
  /** A throttle error for this Page (613, 80006, ...): pause it for retryAfterMs. */
  observeThrottle(pageId: string, retryAfterMs: number): void;
  /** An app-level throttle error (code 4): pause every Page. */
  observeAppThrottle(retryAfterMs: number): void;
  /** Sets or clears (undefined) a Page's lower cap. */
  setPageCap(pageId: string, perSecond: number | undefined): void;
  state(pageId: string): PageThrottleState;
}

interface PageState {
  nextFreeUs: number;
  /** When `wait` let the last sends go (ms, oldest first, at most one second's worth). */
  released: number[];
  nextMediaFreeUs: number;
  usagePercent: number;
  pausedUntil: number;
}

/** The slowdown factor at `percent` of budget (SLOWDOWN_CURVE). */
export function slowdownFactor(percent: number): number {
  const first = SLOWDOWN_CURVE[0]!;
  const last = SLOWDOWN_CURVE[SLOWDOWN_CURVE.length - 1]!;
  if (percent <= first[0]) return first[1];
  if (percent >= last[0]) return last[1];
  for (let i = 1; i < SLOWDOWN_CURVE.length; i++) {
    const [p1, f1] = SLOWDOWN_CURVE[i]!;
    const [p0, f0] = SLOWDOWN_CURVE[i - 1]!;
    if (percent <= p1) return f0 + ((percent - p0) / (p1 - p0)) * (f1 - f0);
  }
  return last[1];
}

function percentOf(u: AppUsage): number {
  return Math.max(u.callCount, u.totalTime, u.totalCputime);
}

function clampCap(n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`a send cap must be a positive number of sends per second (got ${n})`);
  return Math.min(n, SEND_API_MAX_PER_SECOND);
}

/**
 * The spacing of slots at `perSecond`, in integer microseconds rounded up, so float error can
 * never squeeze cap + 1 grants into one second.
 */
export function intervalUs(perSecond: number): number {
  return Math.ceil(1e6 / perSecond);
}

export function createSendThrottle(options: SendThrottleOptions): SendThrottle {
  const defaultCap = clampCap(options.maxPerSecond ?? SEND_API_MAX_PER_SECOND);
  const pageCaps = new Map<string, number>(Object.entries(options.pageCaps ?? {}).map(([id, n]) => [id, clampCap(n)]));
  const appPauseMs = options.appPauseMs ?? DEFAULT_APP_PAUSE_MS;
  const now = options.now;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal === undefined ? undefined : { signal }));
  const pages = new Map<string, PageState>();
  let appUsagePercent = 0;
  let appPausedUntil = 0;

  function page(pageId: string): PageState {
    let s = pages.get(pageId);
    if (s === undefined) {
      s = { nextFreeUs: 0, released: [], nextMediaFreeUs: 0, usagePercent: 0, pausedUntil: 0 };
      pages.set(pageId, s);
    }
    return s;
  }

  function capOf(pageId: string): number {
    const top = channelCap(pageId, defaultCap);
    return Math.min(top, pageCaps.get(pageId) ?? top);
  }

  function factorOf(s: PageState): number {
    return Math.min(slowdownFactor(s.usagePercent), slowdownFactor(appUsagePercent));
  }

  function acquire(pageId: string, opts: AcquireOptions = {}): number {
    const s = page(pageId);
    const t = now();
    const tUs = Math.round(t * 1000);
    const factor = factorOf(s);
    const media = opts.attachmentType === 'audio' || opts.attachmentType === 'video';
    const pausedUntilUs = Math.max(s.pausedUntil, appPausedUntil) * 1000;
    let slot = Math.max(tUs, s.nextFreeUs, pausedUntilUs);
    if (media) slot = Math.max(slot, s.nextMediaFreeUs);
    s.nextFreeUs = slot + intervalUs(capOf(pageId) * factor);
    if (media) s.nextMediaFreeUs = slot + intervalUs(Math.min(SEND_API_MEDIA_MAX_PER_SECOND, capOf(pageId)) * factor);
    return Math.ceil((slot - tUs) / 1000);
  }

  async function reserve(pageId: string, signal?: AbortSignal, opts?: AcquireOptions): Promise<void> {
    signal?.throwIfAborted();
    const ms = acquire(pageId, opts);
    if (ms > 0) await sleep(ms, signal);
  }

  // Slots are spaced evenly, but a timer that fires late (a busy event loop, a long database
  // write) releases several senders at once. Facebook counts sends when they arrive, so the
  // sends actually let go are also kept under the cap in every sliding second: a late burst
  // waits for the oldest of them to leave the window.
  async function admit(pageId: string, signal?: AbortSignal): Promise<void> {
    const s = page(pageId);
    for (let i = 0; i < MAX_WINDOW_WAITS; i++) {
      const t = now();
      while (s.released.length > 0 && s.released[0]! <= t - 1000) s.released.shift();
      // The hard cap, not the slowed rate: the slowdown already spaces new slots, and applying
      // it to sends already let go would stall the Page for most of a second. Rounded up, so a
      // shared cap like 1.5/s (3/s over 2 instances) is not cut to 1 while slots come at 1.5.
      const limit = Math.max(1, Math.ceil(capOf(pageId) - 1e-9));
      if (s.released.length < limit) break;
      await sleep(Math.max(1, s.released[s.released.length - limit]! + 1000 - t), signal);
    }
    s.released.push(now());
  }

  return {
    acquire,

    async slot(pageId, signal, opts) {
      signal?.throwIfAborted();
      return Date.now() + acquire(pageId, opts);
    },

    async wait(pageId, signal, opts) {
      await reserve(pageId, signal, opts);
      await admit(pageId, signal);
    },

    reserve,
    admit,

    observeUsage(pageId, usage) {
      const s = page(pageId);
      const t = now();
      const byId = usage.pages ?? {};
      // Page tokens report under the Page id; a system-user token may report under its business id.
      const entries = byId[pageId] ?? Object.values(byId).flat();
      const relevant = entries.filter((e) => SEND_USAGE_TYPES.includes(e.type));
      // Absent headers mean low usage (docs/graph-api.md), so no entry resets the Page to 0%.
      s.usagePercent = relevant.reduce((m, e) => Math.max(m, percentOf(e)), 0);
      const regainMinutes = relevant.reduce((m, e) => Math.max(m, e.estimatedTimeToRegainAccessMinutes), 0);
      if (regainMinutes > 0) s.pausedUntil = Math.max(s.pausedUntil, t + regainMinutes * 60_000);
      appUsagePercent = usage.app ? percentOf(usage.app) : 0;
      if (appUsagePercent >= 100) appPausedUntil = Math.max(appPausedUntil, t + appPauseMs);
    },

    observeThrottle(pageId, retryAfterMs) {
      const s = page(pageId);
      s.pausedUntil = Math.max(s.pausedUntil, now() + Math.max(0, retryAfterMs));
    },

    observeAppThrottle(retryAfterMs) {
      appPausedUntil = Math.max(appPausedUntil, now() + Math.max(0, retryAfterMs));
    },

    setPageCap(pageId, perSecond) {
      if (perSecond === undefined) pageCaps.delete(pageId);
      else pageCaps.set(pageId, clampCap(perSecond));
    },

    state(pageId) {
      const s = page(pageId);
      const pausedUntil = Math.max(s.pausedUntil, appPausedUntil);
      return {
        perSecond: capOf(pageId) * factorOf(s),
        cap: capOf(pageId),
        pageUsagePercent: s.usagePercent,
        appUsagePercent,
        pausedUntil: pausedUntil > now() ? pausedUntil : null,
      };
    },
  };
}
