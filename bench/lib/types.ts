/**
 * The common shape of a benchmark scenario and of the rows it reports.
 *
 * A scenario is a module in bench/scenarios/ that exports `scenario`. It gets a context with the
 * shared emulator, the run's mode and the measuring helpers, and returns one or more rows: one
 * row per comparison (pagekeeper against one yardstick). A scenario whose pagekeeper API does not
 * exist yet throws `NotAvailable` (see not-available.ts) and the harness still prints its rows,
 * marked "not available" and failed, so a missing feature is visible rather than hidden.
 */
import type { BenchEmulator } from './emulator-process.js';

export interface Spread {
  min: number;
  max: number;
  /** Number of measured repeats behind the median. */
  samples: number;
}

/** One line of the table and one entry of results.json. */
export interface Row {
  name: string;
  /** pagekeeper's median, or null when pagekeeper's API for it does not exist yet. */
  value: number | null;
  unit: string;
  /** What pagekeeper is compared with ("bare undici loop", "fb", ...). */
  yardstick: string;
  yardstickValue: number | null;
  /** value / yardstickValue when higher is better, yardstickValue / value when lower is better. */
  ratio: number | null;
  /** Human-readable target, e.g. ">= 0.85x" or "<= 20 calls". */
  target: string;
  pass: boolean;
  spread?: Spread;
  yardstickSpread?: Spread;
  /** Why it failed, what it waits for, or how it was measured. */
  note?: string;
}

export interface RunOptions {
  quick: boolean;
}

export interface BenchContext {
  options: RunOptions;
  emulator: BenchEmulator;
  /** Prints a progress line on stderr (the table goes to stdout). */
  log: (message: string) => void;
}

/** Scenarios run and print in this order of subject, then by id. */
export const SUBJECTS = ['tokens', 'health', 'messenger', 'service', 'postgres', 'real network'] as const;
export type Subject = (typeof SUBJECTS)[number];

export interface Scenario {
  /** Stable id used by --only and in file names, e.g. "send-texts". */
  id: string;
  /** What it measures, for grouping in the run's order (SUBJECTS). */
  subject: Subject;
  /** Row names this scenario reports; used to print "not available" rows when it cannot run. */
  rows: Array<Pick<Row, 'name' | 'unit' | 'yardstick' | 'target'>>;
  run: (ctx: BenchContext) => Promise<Row[]>;
  /** Longer than the harness's default cut-off, for scenarios whose work is that big (ms). */
  timeoutMs?: { quick: number; full: number };
}
