/**
 * Every Graph API version Facebook still serves, with the day it stops: the one table doctor,
 * the health sweep and the library's default read (the emulator, which imports nothing of
 * pagekeeper, keeps a copy that a test holds equal to this one).
 * Source: "Available Graph API Versions" in Meta's changelog,
 * https://developers.facebook.com/docs/graph-api/changelog (as of December 2026; v26.0's end
 * is not announced yet: Meta writes "TBD"). Update this table when Meta releases a version.
 * Once a version has ended, "any calls made to it will be defaulted to the next oldest, usable
 * version" (https://developers.facebook.com/docs/apps/versions).
 */

export interface GraphVersionInfo {
  /** "v26.0" */
  readonly version: string;
  /** Release day, YYYY-MM-DD. */
  readonly introduced: string;
  /** Last day Facebook serves it (YYYY-MM-DD), null while Meta has not announced it. */
  readonly availableUntil: string | null;
}

/** Newest first. */
export const GRAPH_VERSIONS: readonly GraphVersionInfo[] = [
  { version: 'v26.0', introduced: '2026-07-29', availableUntil: null },
  { version: 'v25.0', introduced: '2026-02-18', availableUntil: '2028-07-29' },
  { version: 'v24.0', introduced: '2025-10-08', availableUntil: '2028-02-18' },
  { version: 'v23.0', introduced: '2025-05-29', availableUntil: '2027-10-08' },
  { version: 'v22.0', introduced: '2025-01-21', availableUntil: '2027-05-20' },
  { version: 'v21.0', introduced: '2024-10-02', availableUntil: '2027-01-21' },
  { version: 'v20.0', introduced: '2024-05-21', availableUntil: '2026-09-24' },
  { version: 'v19.0', introduced: '2024-01-23', availableUntil: '2026-05-21' },
];

/** The newest version Meta lists as available: what pagekeeper calls unless a version is pinned. */
export const NEWEST_GRAPH_VERSION = GRAPH_VERSIONS[0]!.version;

/** Warn this many days before the pinned version ends. */
export const VERSION_WARNING_DAYS = 90;

const DAY_MS = 86_400_000;

export type GraphVersionState = 'current' | 'ending' | 'ended' | 'unknown';

export interface GraphVersionVerdict {
  version: string;
  state: GraphVersionState;
  /** Last day served (YYYY-MM-DD), null when not announced or the version is not in the table. */
  availableUntil: string | null;
  /** Whole days until the end (negative once ended), null without an end date. */
  daysLeft: number | null;
  /** The newest version, the one to move to. */
  newest: string;
}

export function graphVersionInfo(version: string): GraphVersionInfo | undefined {
  return GRAPH_VERSIONS.find((v) => v.version === version);
}

/**
 * Where `version` stands on `nowMs`: ended after its last day, ending from VERSION_WARNING_DAYS
 * before it, unknown when the table does not list it (older than v19.0, or newer than this release
 * of pagekeeper knows).
 */
export function judgeGraphVersion(version: string, nowMs: number): GraphVersionVerdict {
  const info = graphVersionInfo(version);
  const base = { version, newest: NEWEST_GRAPH_VERSION };
  if (!info) return { ...base, state: 'unknown', availableUntil: null, daysLeft: null };
  if (info.availableUntil === null) return { ...base, state: 'current', availableUntil: null, daysLeft: null };
  // Served through the whole last day (UTC); ended from the next midnight.
  const endMs = Date.parse(`${info.availableUntil}T00:00:00Z`) + DAY_MS;
  const daysLeft = Math.ceil((endMs - nowMs) / DAY_MS) - 1;
  const state: GraphVersionState = nowMs >= endMs ? 'ended' : endMs - nowMs <= (VERSION_WARNING_DAYS + 1) * DAY_MS ? 'ending' : 'current';
  return { ...base, state, availableUntil: info.availableUntil, daysLeft };
}

/** One sentence for people: what the verdict means and what to do. */
export function describeGraphVersion(v: GraphVersionVerdict): string {
  const upgrade = `set PAGEKEEPER_GRAPH_VERSION=${v.newest} (or unset it to follow pagekeeper's default) after reading https://developers.facebook.com/docs/graph-api/changelog`;
  switch (v.state) {
    case 'ended':
      return `Graph API ${v.version} ended on ${v.availableUntil}; Facebook now answers its calls with the oldest version still served: ${upgrade}`;
    case 'ending':
      return `Graph API ${v.version} ends on ${v.availableUntil} (in ${v.daysLeft} day${v.daysLeft === 1 ? '' : 's'}): ${upgrade}`;
    case 'unknown':
      return `Graph API ${v.version} is not in pagekeeper's version table (newest known: ${v.newest}); check its end date at https://developers.facebook.com/docs/graph-api/changelog`;
    default:
      return v.availableUntil === null
        ? `Graph API ${v.version} is served; Meta has not announced its end yet`
        : `Graph API ${v.version} is served until ${v.availableUntil}`;
  }
}
