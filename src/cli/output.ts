/**
 * Human output helpers for the CLI: aligned tables, colour only when asked for (a terminal
 * without NO_COLOR, decided once in main.ts), "never" for tokens that do not expire and
 * relative dates ("in 89 days"). Commands build strings with these and return them; only
 * main.ts prints.
 */
import pc from 'picocolors';

/** Colour functions that are identity when colour is off. */
export interface Paint {
  ok: (s: string) => string;
  warn: (s: string) => string;
  bad: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
}

const plain = (s: string): string => s;

export function paint(color: boolean): Paint {
  if (!color) return { ok: plain, warn: plain, bad: plain, dim: plain, bold: plain };
  // createColors(true) forces colour: the caller has already decided (TTY and no NO_COLOR).
  const c = pc.createColors(true);
  return { ok: c.green, warn: c.yellow, bad: c.red, dim: c.dim, bold: c.bold };
}

// Matches SGR sequences so that column widths count what the eye sees.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** Left-aligned columns separated by two spaces; the header is dimmed when colour is on. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], p: Paint = paint(false)): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c)))))
      .join('  ')
      .trimEnd();
  return [p.dim(line(headers)), ...rows.map(line)].join('\n');
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "in 89 days", "3 hours ago", "just now". */
export function relativeTime(when: Date, now: Date = new Date()): string {
  const diff = when.getTime() - now.getTime();
  const abs = Math.abs(diff);
  let text: string;
  if (abs < MINUTE) return 'just now';
  if (abs < HOUR) text = plural(Math.round(abs / MINUTE), 'minute');
  else if (abs < DAY) text = plural(Math.round(abs / HOUR), 'hour');
  else text = plural(Math.round(abs / DAY), 'day');
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** A token expiry for people: null means the token never expires. */
export function expiry(when: Date | null, now?: Date): string {
  return when === null ? 'never' : relativeTime(when, now);
}

/** ISO 8601 for JSON output, null stays null. */
export function iso(when: Date | null | undefined): string | null {
  return when ? when.toISOString() : null;
}

/** Milliseconds as "120 ms" or "1.4 s", for the demo's timings. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Colours a page status word. */
export function statusWord(status: string, p: Paint): string {
  if (status === 'healthy') return p.ok(status);
  if (status === 'expiring') return p.warn(status);
  return p.bad(status);
}
