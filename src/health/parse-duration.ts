import { pkError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `6h`, `30m`, `45s`, `1d`, `1500ms` (or a plain number of seconds) in ms. @throws PK_USAGE */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]! : NaN;
  if (!Number.isFinite(ms) || ms < 1000) throw pkError('PK_USAGE', { detail: `--every takes a duration of at least 1s like 6h, 30m or 1d, not "${text}"` });
  return ms;
}
