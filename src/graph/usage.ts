/**
 * Facebook reports how much of each rate-limit budget is used in response headers, as JSON
 * strings of percentages (docs/graph-api.md "Rate-limit headers";
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
 * Absent headers mean "low usage", not "no limit". The parser never throws: a garbled header is
 * ignored, because a usage report must never fail the call that carried it.
 */

export interface AppUsage {
  callCount: number;
  totalTime: number;
  totalCputime: number;
}

export interface BusinessUseCaseUsage {
  type: string;
  callCount: number;
  totalTime: number;
  totalCputime: number;
  /** Minutes until calls are allowed again; 0 when not throttled. */
  estimatedTimeToRegainAccessMinutes: number;
}

export interface UsageSnapshot {
  /** X-App-Usage (rolling hour, throttled at 100). */
  app: AppUsage | null;
  /** X-Business-Use-Case-Usage, by Page or business id. */
  pages: Record<string, BusinessUseCaseUsage[]>;
  /** X-Page-Usage (legacy; can exceed 100). */
  page: AppUsage | null;
  /** When the headers were read (ms since epoch). */
  at: number;
}

export const APP_USAGE_HEADER = 'x-app-usage';
export const BUSINESS_USAGE_HEADER = 'x-business-use-case-usage';
export const PAGE_USAGE_HEADER = 'x-page-usage';

export function emptyUsage(at = 0): UsageSnapshot {
  return { app: null, pages: {}, page: null, at };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function parseCounts(v: unknown): AppUsage | null {
  if (!isRecord(v)) return null;
  const callCount = num(v.call_count);
  const totalTime = num(v.total_time);
  const totalCputime = num(v.total_cputime);
  if (callCount === null && totalTime === null && totalCputime === null) return null;
  return { callCount: callCount ?? 0, totalTime: totalTime ?? 0, totalCputime: totalCputime ?? 0 };
}

function parseBusinessUsage(v: unknown): Record<string, BusinessUseCaseUsage[]> {
  const out: Record<string, BusinessUseCaseUsage[]> = {};
  if (!isRecord(v)) return out;
  for (const [id, entries] of Object.entries(v)) {
    if (!Array.isArray(entries)) continue;
    const list: BusinessUseCaseUsage[] = [];
    for (const e of entries) {
      const counts = parseCounts(e);
      if (!counts || !isRecord(e)) continue;
      list.push({
        type: typeof e.type === 'string' ? e.type : 'unknown',
        ...counts,
        estimatedTimeToRegainAccessMinutes: Math.max(0, num(e.estimated_time_to_regain_access) ?? 0),
      });
    }
    if (list.length > 0) out[id] = list;
  }
  return out;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  if (Array.isArray(v)) return v[v.length - 1];
  if (v !== undefined) return v;
  // Callers may pass headers with their original case.
  for (const [k, val] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(val) ? val[val.length - 1] : val;
  }
  return undefined;
}

/** Parses the three usage headers of one response. Never throws. */
export function parseUsageHeaders(headers: HeaderBag, at: number = Date.now()): UsageSnapshot {
  return {
    app: parseCounts(parseJson(header(headers, APP_USAGE_HEADER))),
    pages: parseBusinessUsage(parseJson(header(headers, BUSINESS_USAGE_HEADER))),
    page: parseCounts(parseJson(header(headers, PAGE_USAGE_HEADER))),
    at,
  };
}

/**
 * parseUsageHeaders with a memory of the last text of each header: a busy client sees the same
 * usage text on many answers in a row, and parsing JSON on every call shows in profiles. The
 * parsed parts are shared between snapshots, which callers treat as read-only. Header names
 * must be lower-case (as GraphResponse.headers are), so no case-insensitive scan is needed.
 */
export function createUsageParser(): (headers: Readonly<Record<string, string>>, at?: number) => UsageSnapshot {
  let appText: string | undefined;
  let app: AppUsage | null = null;
  let pagesText: string | undefined;
  let pages: Record<string, BusinessUseCaseUsage[]> = {};
  let pageText: string | undefined;
  let page: AppUsage | null = null;
  return (headers, at = Date.now()) => {
    const a = headers[APP_USAGE_HEADER];
    if (a !== appText) {
      appText = a;
      app = parseCounts(parseJson(a));
    }
    const b = headers[BUSINESS_USAGE_HEADER];
    if (b !== pagesText) {
      pagesText = b;
      pages = parseBusinessUsage(parseJson(b));
    }
    const p = headers[PAGE_USAGE_HEADER];
    if (p !== pageText) {
      pageText = p;
      page = parseCounts(parseJson(p));
    }
    return { app, pages, page, at };
  };
}

/**
 * Folds a newer snapshot into the running one: app and page usage are replaced when reported,
 * per-id business usage is replaced id by id (each response only reports the ids it touched).
 */
export function mergeUsage(previous: UsageSnapshot, next: UsageSnapshot): UsageSnapshot {
  let pages = previous.pages;
  // Only copy when this answer reported some ids (most answers report none).
  for (const _ in next.pages) {
    pages = { ...previous.pages, ...next.pages };
    break;
  }
  return {
    app: next.app ?? previous.app,
    pages,
    page: next.page ?? previous.page,
    at: Math.max(previous.at, next.at),
  };
}

/**
 * The longest wait, in ms, that X-Business-Use-Case-Usage asks for across its ids
 * (`estimated_time_to_regain_access` is in minutes); null when none asks for one.
 */
export function regainAccessMs(usage: UsageSnapshot, id?: string): number | null {
  const lists = id !== undefined ? [usage.pages[id] ?? []] : Object.values(usage.pages);
  let max = 0;
  for (const list of lists) for (const e of list) max = Math.max(max, e.estimatedTimeToRegainAccessMinutes);
  return max > 0 ? max * 60_000 : null;
}
