/**
 * Ops/s of a fast async operation measured with tinybench. The task runs the operation `batch`
 * times in a row, so tinybench's per-iteration overhead (timers, promise) is spread over the
 * batch instead of dominating a sub-microsecond call; each repeat is one tinybench run, and the
 * repeats give the median and spread.
 */
import { Bench } from 'tinybench';
import { summarize, type Summary } from './measure.js';
import type { Plan } from './plan.js';

export async function tinybenchRate(op: (i: number) => Promise<unknown>, opts: Plan & { batch: number; timeMs: number; log?: (m: string) => void; label: string }): Promise<Summary> {
  let i = 0;
  const task = async () => {
    for (let k = 0; k < opts.batch; k++) await op(i++);
  };
  const rates: number[] = [];
  for (let r = 0; r < opts.warmups + opts.repeats; r++) {
    const bench = new Bench({ time: opts.timeMs, warmupTime: Math.min(200, opts.timeMs / 2), throws: true });
    bench.add(opts.label, task);
    await bench.run();
    const result = bench.tasks[0]?.result as { state?: string; period?: number; error?: unknown } | undefined;
    if (!result || result.state !== 'completed' || !result.period) throw result?.error instanceof Error ? result.error : new Error(`tinybench: ${opts.label} did not complete`);
    const rate = (opts.batch * 1000) / result.period;
    if (r >= opts.warmups) {
      rates.push(rate);
      opts.log?.(`  ${opts.label}: ${Math.round(rate).toLocaleString('en-US')}/s`);
    }
  }
  return summarize(rates);
}
