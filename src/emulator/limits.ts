/**
 * Rate limits and the usage headers that report them (docs/graph-api.md "Rate-limit headers").
 * Fixed windows on the emulator clock: O(1) counters per page and for the app, so they work in
 * real time and jump with POST /_emulator/clock.
 */
import type { GraphErrorSpec } from './graph-error.js';
import { MSG } from './graph-error.js';

export const DEFAULT_SEND_PER_SECOND = 300; // Send API: 300 calls/s per Page for text.
export const DEFAULT_PAGE_CALLS_PER_WINDOW = 4800;
export const DEFAULT_WINDOW_SECONDS = 3600;
export const DEFAULT_APP_CALLS_PER_WINDOW = 200_000;

export interface LimitSettings {
  sendPerSecond: number;
  pageCallsPerWindow: number;
  windowSeconds: number;
  appCallsPerWindow: number;
}

interface Counter {
  windowStart: number;
  count: number;
}

interface PageCounters {
  send: Counter;
  /** Sends in the rolling budget's window: what the `messenger` usage header reports. */
  messenger: Counter;
  calls: Counter;
  settings: Partial<LimitSettings>;
}

export interface LimitDecision {
  error?: GraphErrorSpec;
  headers: Record<string, string>;
}

function bump(c: Counter, windowMs: number, t: number): number {
  const start = t - (t % windowMs);
  if (c.windowStart !== start) {
    c.windowStart = start;
    c.count = 0;
  }
  return ++c.count;
}

export function createLimits(now: () => number) {
  let enabled = true;
  const defaults: LimitSettings = {
    sendPerSecond: DEFAULT_SEND_PER_SECOND,
    pageCallsPerWindow: DEFAULT_PAGE_CALLS_PER_WINDOW,
    windowSeconds: DEFAULT_WINDOW_SECONDS,
    appCallsPerWindow: DEFAULT_APP_CALLS_PER_WINDOW,
  };
  const pages = new Map<string, PageCounters>();
  const appCounter: Counter = { windowStart: 0, count: 0 };

  const pageCounters = (pageId: string): PageCounters => {
    let c = pages.get(pageId);
    if (!c) {
      c = { send: { windowStart: 0, count: 0 }, messenger: { windowStart: 0, count: 0 }, calls: { windowStart: 0, count: 0 }, settings: {} };
      pages.set(pageId, c);
    }
    return c;
  };

  const minutesLeft = (windowStart: number, windowMs: number, t: number) => Math.max(1, Math.ceil((windowStart + windowMs - t) / 60_000));

  function usage(pageId: string, type: 'pages' | 'messenger', count: number, limit: number, regain: number): string {
    const pct = Math.min(100, Math.floor((count * 100) / limit));
    return JSON.stringify({ [pageId]: [{ type, call_count: pct, total_cputime: Math.floor(pct / 4), total_time: Math.floor(pct / 4), estimated_time_to_regain_access: regain }] });
  }

  return {
    get enabled() {
      return enabled;
    },
    configure(input: { enabled?: boolean; pageId?: string } & Partial<LimitSettings>) {
      if (input.enabled !== undefined) enabled = input.enabled;
      const { enabled: _e, pageId, ...settings } = input;
      const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<LimitSettings>;
      if (pageId) Object.assign(pageCounters(pageId).settings, clean);
      else Object.assign(defaults, clean);
      return { enabled, defaults: { ...defaults }, pages: Object.fromEntries([...pages].filter(([, c]) => Object.keys(c.settings).length).map(([id, c]) => [id, c.settings])) };
    },
    settings(pageId?: string): LimitSettings {
      return pageId ? { ...defaults, ...pages.get(pageId)?.settings } : { ...defaults };
    },

    /**
     * One Send API call by a page. Past sendPerSecond it is refused (613) and the header says
     * 100% with a regain time. Otherwise the `messenger` usage header reports the Page's rolling
     * budget (pageCallsPerWindow per windowSeconds), as Facebook's does (a share of the
     * Messenger API's 24-hour budget, docs/graph-api.md "Rate-limit headers"), not the
     * current second's count: a sender at 95 of 100 in a second is not near any budget.
     */
    send(pageId: string): LimitDecision {
      const c = pageCounters(pageId);
      const limit = c.settings.sendPerSecond ?? defaults.sendPerSecond;
      const t = now();
      const n = bump(c.send, 1000, t);
      const budget = c.settings.pageCallsPerWindow ?? defaults.pageCallsPerWindow;
      const inWindow = bump(c.messenger, (c.settings.windowSeconds ?? defaults.windowSeconds) * 1000, t);
      const over = enabled && n > limit;
      const regain = over ? minutesLeft(c.send.windowStart, 1000, t) : 0;
      const headers = { 'x-business-use-case-usage': over ? usage(pageId, 'messenger', n, limit, regain) : usage(pageId, 'messenger', inWindow, budget, 0) };
      if (!over) return { headers };
      return { headers, error: { code: 613, subcode: 2534040, message: MSG.sendRate, isTransient: true } };
    },

    /** Any other call made with a page token. */
    pageCall(pageId: string): LimitDecision {
      const c = pageCounters(pageId);
      const limit = c.settings.pageCallsPerWindow ?? defaults.pageCallsPerWindow;
      const windowMs = (c.settings.windowSeconds ?? defaults.windowSeconds) * 1000;
      const t = now();
      const n = bump(c.calls, windowMs, t);
      const over = enabled && n > limit;
      const regain = over ? minutesLeft(c.calls.windowStart, windowMs, t) : 0;
      const headers = {
        'x-business-use-case-usage': usage(pageId, 'pages', n, limit, regain),
        'x-page-usage': JSON.stringify({ call_count: Math.floor((n * 100) / limit), total_cputime: 0, total_time: 0 }),
      };
      if (!over) return { headers };
      return { headers, error: { code: 80001, message: MSG.pageRate, isTransient: true } };
    },

    /** A call made with a user or app token: the app's rolling budget. */
    appCall(): LimitDecision {
      const t = now();
      const windowMs = defaults.windowSeconds * 1000;
      const n = bump(appCounter, windowMs, t);
      const pct = Math.min(100, Math.floor((n * 100) / defaults.appCallsPerWindow));
      const headers = { 'x-app-usage': `{"call_count":${pct},"total_time":${pct},"total_cputime":${pct}}` };
      if (!enabled || n <= defaults.appCallsPerWindow) return { headers };
      return { headers, error: { code: 4, message: MSG.appRate, isTransient: true } };
    },
  };
}

export type Limits = ReturnType<typeof createLimits>;
