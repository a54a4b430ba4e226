/**
 * Outbox messages/s for one, two and three instances (separate processes) on one
 * PostgreSQL database, the emulator's page limits out of the way. On a 2-core machine more
 * instances cannot add cores, so the bar is no collapse: n instances reach >= 0.9x one
 * instance's rate, and every message is delivered exactly once (counted on the emulator).
 *
 * Each run goes through test/helpers/bench-outbox-instances.ts `measureOutboxInstances`: a fresh
 * throwaway cluster (initdb, test/helpers/postgres.ts), the emulator in a process of its own at
 * the bench's former priority (as in the SIGKILL row), a warm-up of 6,000 texts per instance
 * (2,000 in a quick run) to people of its own, then `messages` more across 10 Pages, held until
 * the warm-up is out, timed from when they are made due until the emulator recorded every one
 * (each instance is a fresh process, and V8 compiles its hot paths over its first thousands of
 * messages: measured in the helper's docblock). The
 * note gives the CPU per message of the instances together and of PostgreSQL, from /proc: on
 * a machine with few cores it is what sets the ratio. Runs are interleaved 1, 2, 3 per repeat.
 * Without PostgreSQL binaries the rows say so (not available).
 */
import { measureOutboxInstances } from '../../test/helpers/bench-outbox-instances.js';
import { summarize } from '../lib/measure.js';
import { NotAvailable } from '../lib/not-available.js';
import { plan } from '../lib/plan.js';
import { compareRow } from '../lib/rows.js';
import type { Row, Scenario } from '../lib/types.js';

// Quick: 2,500, not 1,000: a 1,000-message window lasted about 350 ms, a fifth of it the first
// scan and the first round of marks.
const MESSAGES = { full: 5_000, quick: 2_500 };
const WARMUP_PER_INSTANCE = { full: 6_000, quick: 2_000 };
const PAGES = 10;
const MIN_RATIO = 0.9;
const rowName = (n: number) => `outbox on PostgreSQL, ${n} instances vs 1`;

export const scenario: Scenario = {
  id: 'postgres-instances',
  subject: 'postgres',
  rows: [2, 3].map((n) => ({ name: rowName(n), unit: 'msg/s', yardstick: '1 instance', target: `>= ${MIN_RATIO}x` })),
  timeoutMs: { quick: 180_000, full: 600_000 },
  run: async (ctx) => {
    const messages = ctx.options.quick ? MESSAGES.quick : MESSAGES.full;
    const p = plan(ctx, { warmups: 0, repeats: 3 }, { warmups: 0, repeats: 1 });
    const warmupPerInstance = ctx.options.quick ? WARMUP_PER_INSTANCE.quick : WARMUP_PER_INSTANCE.full;
    const rates = new Map<number, number[]>();
    const cpu = new Map<number, Array<{ instances: number; postgres: number }>>();
    const duplicatesOrLosses: string[] = [];
    for (let r = 0; r < p.repeats; r++) {
      for (const instances of [1, 2, 3]) {
        let run;
        try {
          run = await measureOutboxInstances({ instances, messages, pages: PAGES, warmupPerInstance, emulator: 'process', timeoutMs: ctx.options.quick ? 50_000 : 150_000 });
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/binaries not found/.test(msg)) throw new NotAvailable('PostgreSQL binaries (initdb, pg_ctl) on this machine', msg);
          throw e;
        }
        rates.set(instances, [...(rates.get(instances) ?? []), run.perSecond]);
        if (run.cpuMsPerMessage !== null) cpu.set(instances, [...(cpu.get(instances) ?? []), run.cpuMsPerMessage]);
        if (!run.deliveredOnce) duplicatesOrLosses.push(`${instances} instance(s), repeat ${r + 1}`);
        const cpuNote = run.cpuMsPerMessage === null ? '' : `, CPU per message: instances ${run.cpuMsPerMessage.instances} ms, PostgreSQL ${run.cpuMsPerMessage.postgres} ms`;
        ctx.log(`  ${instances} instance(s): ${run.perSecond} msg/s (${run.ms} ms)${cpuNote}, delivered once: ${run.deliveredOnce} (repeat ${r + 1}/${p.repeats})`);
      }
    }
    const one = summarize(rates.get(1)!);
    const once = duplicatesOrLosses.length === 0 ? 'every message delivered exactly once in every run' : `NOT delivered exactly once in: ${duplicatesOrLosses.join(', ')}`;
    const median = (xs: number[]) => summarize(xs).median.toFixed(2);
    const cpuNote = [1, 2, 3]
      .filter((n) => cpu.has(n))
      .map((n) => `${n}: ${median(cpu.get(n)!.map((c) => c.instances))} + ${median(cpu.get(n)!.map((c) => c.postgres))}`)
      .join(', ');
    const note = [
      `${ctx.options.quick ? 'quick run: ' : ''}${messages.toLocaleString('en-US')} messages over ${PAGES} Pages per run, timed after a warm-up of ${warmupPerInstance.toLocaleString('en-US')} per instance to people of its own`,
      'each instance and the emulator its own process, emulator limits off',
      `1 instance ${Math.round(one.median)} msg/s`,
      ...(cpuNote === '' ? [] : [`CPU ms per message, instances + PostgreSQL (median), by instance count: ${cpuNote}`]),
      once,
    ].join('; ');
    return [2, 3].map((n): Row => {
      const row = compareRow({ name: rowName(n), unit: 'msg/s', yardstick: '1 instance', pagekeeper: summarize(rates.get(n)!), yardstickOutcome: one, minRatio: MIN_RATIO, note });
      return duplicatesOrLosses.length ? { ...row, pass: false } : row;
    });
  },
};
