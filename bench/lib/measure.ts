/**
 * Measuring helpers: warm-up, repeats, median and spread, and a bounded-concurrency runner.
 *
 * Throughput scenarios measure "operations per second" over a fixed amount of work per repeat;
 * when several contenders are compared they are interleaved repeat by repeat, so slow drift of a
 * shared machine (other processes, GC, the emulator's growing message log) spreads over all of
 * them instead of biasing the one that happened to run last.
 */
import type { Spread } from './types.js';

export interface Summary extends Spread {
  median: number;
  values: number[];
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples: sorted.length, values };
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight; rejects on the first failure. */
export async function runConcurrent(total: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined) {
      const i = next++;
      if (i >= total) return;
      try {
        await task(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  if (failed !== undefined) throw failed;
}

/** Seconds elapsed while `fn` runs. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export interface Contender {
  name: string;
  /** Does `work` units of work; the harness times it. */
  once: (work: number) => Promise<void>;
  /** Untimed preparation before each run, given the work it will do (e.g. fresh tokens to exchange). */
  prepare?: (work: number) => Promise<void>;
}

export interface CompareOptions {
  warmups: number;
  repeats: number;
  /** Units of work of one timed run, to turn seconds into a rate. */
  work: number;
  /** Units of work of a warm-up run (default: a fifth of `work`). */
  warmupWork?: number;
  log?: (message: string) => void;
}

/**
 * Times each contender `repeats` times after `warmups` untimed runs, interleaved, and returns each
 * one's rate (work per second) summary. A contender that throws is reported with its error instead.
 */
export async function compareRates(contenders: Contender[], opts: CompareOptions): Promise<Map<string, Summary | Error>> {
  const samples = new Map<string, number[]>();
  const errors = new Map<string, Error>();
  const alive = () => contenders.filter((c) => !errors.has(c.name));
  for (let w = 0; w < opts.warmups; w++) {
    for (const c of alive()) {
      try {
        const work = opts.warmupWork ?? Math.max(1, Math.round(opts.work / 5));
        await c.prepare?.(work);
        const seconds = await timed(() => c.once(work));
        opts.log?.(`  ${c.name}: warm-up ${formatNumber(work / seconds)}/s`);
      } catch (e) {
        errors.set(c.name, e instanceof Error ? e : new Error(String(e)));
        opts.log?.(`  ${c.name}: failed during warm-up: ${errors.get(c.name)!.message}`);
      }
    }
  }
  for (let r = 0; r < opts.repeats; r++) {
    for (const c of alive()) {
      try {
        await c.prepare?.(opts.work);
        const seconds = await timed(() => c.once(opts.work));
        const rate = opts.work / seconds;
        const list = samples.get(c.name) ?? [];
        list.push(rate);
        samples.set(c.name, list);
        opts.log?.(`  ${c.name}: ${formatNumber(rate)}/s (repeat ${r + 1}/${opts.repeats})`);
      } catch (e) {
        errors.set(c.name, e instanceof Error ? e : new Error(String(e)));
        opts.log?.(`  ${c.name}: failed: ${errors.get(c.name)!.message}`);
      }
    }
  }
  const out = new Map<string, Summary | Error>();
  for (const c of contenders) {
    const err = errors.get(c.name);
    const list = samples.get(c.name);
    out.set(c.name, err ?? (list ? summarize(list) : new Error('no samples')));
  }
  return out;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function spreadOf(s: Summary): Spread {
  return { min: s.min, max: s.max, samples: s.samples };
}
