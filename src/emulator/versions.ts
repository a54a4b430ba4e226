/**
 * The Graph API versions the emulator serves, and what it does with an ended one: Facebook
 * "defaults" a call to a version that is no longer usable "to the next oldest, usable version"
 * (https://developers.facebook.com/docs/apps/versions) and says which in the
 * Facebook-API-Version header; the call itself succeeds. End dates from Meta's changelog
 * (https://developers.facebook.com/docs/graph-api/changelog). The emulator imports nothing of
 * pagekeeper, so this is a copy of pagekeeper's version table; a test holds the two equal.
 */
export const EMULATED_VERSIONS: readonly { version: string; introduced: string; availableUntil: string | null }[] = [
  { version: 'v26.0', introduced: '2026-07-29', availableUntil: null },
  { version: 'v25.0', introduced: '2026-02-18', availableUntil: '2028-07-29' },
  { version: 'v24.0', introduced: '2025-10-08', availableUntil: '2028-02-18' },
  { version: 'v23.0', introduced: '2025-05-29', availableUntil: '2027-10-08' },
  { version: 'v22.0', introduced: '2025-01-21', availableUntil: '2027-05-20' },
  { version: 'v21.0', introduced: '2024-10-02', availableUntil: '2027-01-21' },
  { version: 'v20.0', introduced: '2024-05-21', availableUntil: '2026-09-24' },
  { version: 'v19.0', introduced: '2024-01-23', availableUntil: '2026-05-21' },
];

/** Unversioned calls: the newest version (a new app's dashboard version). */
export const NEWEST_VERSION = EMULATED_VERSIONS[0]!.version;

const DAY_MS = 86_400_000;
const num = (v: string) => Number.parseFloat(v.slice(1));

const PARSED = EMULATED_VERSIONS.map((v) => ({
  version: v.version,
  fromMs: Date.parse(`${v.introduced}T00:00:00Z`),
  untilMs: v.availableUntil === null ? Infinity : Date.parse(`${v.availableUntil}T00:00:00Z`) + DAY_MS,
}));
/** Every bound is a UTC midnight, so the usable set is the same all day: computed once a day, not on every call. */
let usableOn: { day: number; versions: readonly string[] } | undefined;

/** Versions released and not ended on `nowMs`, oldest first (the day's shared list: read it, do not change it). */
export function usableVersions(nowMs: number): readonly string[] {
  const day = Math.floor(nowMs / DAY_MS);
  if (usableOn?.day !== day) {
    const versions = PARSED.filter((v) => v.fromMs <= nowMs && nowMs < v.untilMs)
      .map((v) => v.version)
      .reverse();
    usableOn = { day, versions };
  }
  return usableOn.versions;
}

/**
 * The version that answers a call to `v` on `nowMs`: itself while usable; an ended or unknown
 * older one falls to the oldest usable; one newer than any released to the newest.
 */
export function servedVersionAt(v: string | undefined, nowMs: number): string {
  const usable = usableVersions(nowMs);
  const oldest = usable[0] ?? NEWEST_VERSION;
  const newest = usable[usable.length - 1] ?? NEWEST_VERSION;
  if (!v) return newest;
  if (usable.includes(v)) return v;
  return num(v) < num(newest) ? oldest : newest;
}
