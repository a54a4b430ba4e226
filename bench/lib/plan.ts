/** How many warm-ups and repeats a scenario does in a quick and in a full run. */
import type { BenchContext } from './types.js';

export interface Plan {
  warmups: number;
  repeats: number;
}

export function plan(ctx: BenchContext, full: Plan = { warmups: 1, repeats: 3 }, quick: Plan = { warmups: 1, repeats: 1 }): Plan {
  return ctx.options.quick ? quick : full;
}
