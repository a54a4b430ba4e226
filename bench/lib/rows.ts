/**
 * Turning measurements into table rows, with the pass/fail decision in one place.
 */
import { NotAvailable } from './not-available.js';
import { formatNumber, spreadOf, type Summary } from './measure.js';
import type { Row } from './types.js';

export type Outcome = Summary | Error;

function describe(e: Error): string {
  return e instanceof NotAvailable ? e.message : `failed: ${e.message}`;
}

export interface CompareRow {
  name: string;
  unit: string;
  yardstick: string;
  pagekeeper: Outcome;
  yardstickOutcome: Outcome;
  /** Minimum value / yardstickValue (higher is better), e.g. 0.85 or 2; null when no target is set (reported only). */
  minRatio: number | null;
  note?: string;
}

/** A row comparing two rates where higher is better; passes when the ratio reaches minRatio. */
export function compareRow(c: CompareRow): Row {
  const pk = c.pagekeeper instanceof Error ? null : c.pagekeeper;
  const ys = c.yardstickOutcome instanceof Error ? null : c.yardstickOutcome;
  const ratio = pk && ys && ys.median > 0 ? pk.median / ys.median : null;
  const notes = [
    c.pagekeeper instanceof Error ? `pagekeeper ${describe(c.pagekeeper)}` : undefined,
    c.yardstickOutcome instanceof Error ? `yardstick ${describe(c.yardstickOutcome)}` : undefined,
    c.note,
  ].filter((s): s is string => Boolean(s));
  return {
    name: c.name,
    value: pk ? pk.median : null,
    unit: c.unit,
    yardstick: c.yardstick,
    yardstickValue: ys ? ys.median : null,
    ratio,
    target: c.minRatio === null ? 'none (reported)' : `>= ${c.minRatio}x`,
    pass: ratio !== null && (c.minRatio === null || ratio >= c.minRatio),
    ...(pk ? { spread: spreadOf(pk) } : {}),
    ...(ys ? { yardstickSpread: spreadOf(ys) } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

export interface LimitRow {
  name: string;
  unit: string;
  value: Outcome;
  /** 'max': value must be <= limit; 'min': value must be >= limit. */
  kind: 'max' | 'min';
  limit: number;
  yardstick?: string;
  yardstickValue?: number | null;
  note?: string;
}

/** A row checking an absolute bound (calls, MB, ops/s); ratio is value / limit. */
export function limitRow(l: LimitRow): Row {
  const v = l.value instanceof Error ? null : l.value;
  const pass = v !== null && (l.kind === 'max' ? v.median <= l.limit : v.median >= l.limit);
  const notes = [l.value instanceof Error ? `pagekeeper ${describe(l.value)}` : undefined, l.note].filter((s): s is string => Boolean(s));
  return {
    name: l.name,
    value: v ? v.median : null,
    unit: l.unit,
    yardstick: l.yardstick ?? 'target',
    yardstickValue: l.yardstickValue ?? l.limit,
    ratio: v && l.limit > 0 ? v.median / l.limit : null,
    target: `${l.kind === 'max' ? '<=' : '>='} ${formatNumber(l.limit)} ${l.unit}`,
    pass,
    ...(v ? { spread: spreadOf(v) } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/** Rows for a scenario that could not run at all. */
export function unavailableRows(rows: Array<Pick<Row, 'name' | 'unit' | 'yardstick' | 'target'>>, why: Error): Row[] {
  return rows.map((r) => ({ ...r, value: null, yardstickValue: null, ratio: null, pass: false, note: describe(why) }));
}
