/**
 * The outbox delivers 20,000 messages across 20 pages, the emulator limiting each page
 * to 100 sends/s (PUT /_emulator/limits {"enabled":true,"pageId":P,"sendPerSecond":100} per page),
 * within 1.15x the theoretical minimum of 10 s, with zero throttle errors surfaced and zero lost
 * (count GET /_emulator/pages/{id}/messages per page: exactly 1,000 each); the median of 3 runs,
 * each on fresh Pages (1 in a quick run), after one untimed warm-up run of the quick size with the
 * emulator's limits off.
 *
 * The warm-up is for the emulator more than for pagekeeper: a cold emulator (its send path not yet
 * compiled) on a 2-core machine fell up to 300 ms behind the 1,900 sends/s of the first second,
 * then caught up, so sends let go a second apart were counted in the same one of its fixed
 * windows: 613s that graph.facebook.com, which is not one process, would not give.
 *
 * pagekeeper is told the emulator's figure the way a user would configure a lower cap
 * (`messenger.maxPerSecond`, a little under 100 so the emulator's fixed one-second windows never
 * see 101). Enqueueing is not timed: the clock starts when the worker starts and stops when every
 * message is final (sent, failed or unknown).
 */
import { createUser, shortLivedToken } from '../lib/fixtures.js';
import { summarize } from '../lib/measure.js';
import { NotAvailable } from '../lib/not-available.js';
import { openPageKeeper } from '../lib/pagekeeper.js';
import { plan } from '../lib/plan.js';
import { limitRow } from '../lib/rows.js';
import type { BenchContext, Row, Scenario } from '../lib/types.js';

const PAGES = 20;
const EMULATOR_PER_SECOND = 100;
/** pagekeeper's configured cap: 5% under the emulator's limit, for jitter between grant and arrival. */
const CAP_PER_SECOND = 95;
const FULL = { messages: 20_000, people: 50 };
/** A quick run: 4,000 messages (200 per page), minimum 2 s. */
const QUICK = { messages: 4_000, people: 20 };
const MAX_RATIO = 1.15;
const NAME = 'outbox 20,000 msgs, 20 pages at 100/s';
const FINAL = ['sent', 'failed', 'unknown'] as const;

interface MessengerLike {
  enqueue(pageId: string, body: unknown, opts?: { idempotencyKey?: string }): Promise<{ id: string }>;
  recordInbound(pageId: string, psid: string, at: number): Promise<void>;
  startWorker(opts?: Record<string, unknown>): { stop(): Promise<void>; idle(): Promise<void> };
  counts(): Promise<Record<string, number>>;
  list(filter?: { limit?: number }): Promise<Array<{ status: string; attempts: number; error: { code: number | null } | null }>>;
  stop(): Promise<void>;
}

const THROTTLE_CODES = new Set([4, 17, 32, 613, 80001, 80006]);

interface RunResult {
  elapsedS: number;
  lost: number;
  duplicates: number;
  throttledSurfaced: number;
  retried: number;
  cpuUsPerMessage: number;
}

/** One run on fresh Pages: enqueue (untimed), then the worker delivers everything. `limited` false: the warm-up, with the emulator's limits off. */
async function once(ctx: BenchContext, size: { messages: number; people: number }, repeat: number, limited = true): Promise<RunResult> {
  const emu = ctx.emulator;
  const perPage = size.messages / PAGES;
  const minimumS = perPage / EMULATOR_PER_SECOND;

  const user = await createUser(emu, limited ? `Outbox Bench ${repeat + 1}` : 'Outbox Bench warm-up', PAGES);
  const pageIds = user.pages.map((p) => p.id);
  const keeper = await openPageKeeper(emu, { messenger: { maxPerSecond: CAP_PER_SECOND } });
  try {
    const messenger = keeper.pk.messenger as MessengerLike | undefined;
    if (!messenger || typeof messenger.enqueue !== 'function' || typeof messenger.startWorker !== 'function') throw new NotAvailable('pk.messenger.enqueue / startWorker');
    await keeper.pk.connect(await shortLivedToken(emu, user.id));

    // People who wrote to each page: opens the window on the emulator and in pagekeeper.
    const people = new Map<string, string[]>();
    for (const pageId of pageIds) {
      const psids: string[] = [];
      for (let i = 0; i < size.people; i++) {
        const { psid } = await emu.control<{ psid: string }>('POST', `/_emulator/pages/${encodeURIComponent(pageId)}/inbound`, { text: 'hello page' });
        await messenger.recordInbound(pageId, psid, Date.now());
        psids.push(psid);
      }
      people.set(pageId, psids);
    }

    // Interleaved across pages and people, as a busy service would enqueue them.
    const t0 = Date.now();
    for (let i = 0; i < perPage; i++) {
      for (const pageId of pageIds) {
        const psids = people.get(pageId)!;
        const psid = psids[i % psids.length]!;
        await messenger.enqueue(pageId, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: `m ${pageId} ${i}` } }, { idempotencyKey: `${pageId}:${i}` });
      }
    }
    ctx.log(`  enqueued ${size.messages.toLocaleString('en-US')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    if (limited) for (const pageId of pageIds) await emu.control('PUT', '/_emulator/limits', { enabled: true, pageId, sendPerSecond: EMULATOR_PER_SECOND });
    let elapsedS: number;
    /** CPU of this process (the worker; the emulator runs in its own) per message: shows what a shared machine hides. */
    let cpuUsPerMessage = 0;
    try {
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const worker = messenger.startWorker();
      // idle() resolves once a claim finds nothing due and every outcome is written: no polling
      // query competing with the worker for the event loop. Checked against counts() below.
      await worker.idle();
      elapsedS = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpuUsPerMessage = (cpu.user + cpu.system) / size.messages;
      await worker.stop();
    } finally {
      await emu.control('PUT', '/_emulator/limits', { enabled: false });
    }

    const counts = await messenger.counts();
    const final = FINAL.reduce((n, s) => n + (counts[s] ?? 0), 0);
    if (final !== size.messages) {
      const waiting = (await messenger.list({ limit: size.messages + 1 })).filter((m) => m.status === 'queued' && m.error !== null);
      throw new Error(`the worker went idle with ${size.messages - final} messages not final: ${JSON.stringify(counts)}; waiting after an error: ${waiting.length} (${JSON.stringify(waiting[0]?.error ?? null)})`);
    }
    const rows = await messenger.list({ limit: size.messages + 1 });
    const retried = rows.filter((m) => m.attempts > 1).length;
    const throttledSurfaced = rows.filter((m) => m.status !== 'sent' && m.error !== null && m.error.code !== null && THROTTLE_CODES.has(m.error.code)).length;
    let delivered = 0;
    let duplicates = 0;
    for (const pageId of pageIds) {
      const { data } = await emu.control<{ data: Array<{ message: { text?: string } | null }> }>('GET', `/_emulator/pages/${encodeURIComponent(pageId)}/messages`);
      const texts = new Set(data.map((m) => m.message?.text));
      delivered += texts.size;
      duplicates += data.length - texts.size;
    }
    const lost = size.messages - delivered;
    ctx.log(
      `  ${elapsedS.toFixed(2)} s (minimum ${minimumS} s): sent ${counts.sent}, failed ${counts.failed}, unknown ${counts.unknown}; on the emulator ${delivered} distinct, ${duplicates} duplicates; retried ${retried}, throttle errors surfaced ${throttledSurfaced} (${limited ? `repeat ${repeat + 1}` : 'warm-up, limits off'})`,
    );
    return { elapsedS, lost, duplicates, throttledSurfaced, retried, cpuUsPerMessage };
  } finally {
    await keeper.close();
  }
}

async function run(ctx: BenchContext): Promise<Row[]> {
  const size = ctx.options.quick ? QUICK : FULL;
  const minimumS = size.messages / PAGES / EMULATOR_PER_SECOND;
  const limitS = minimumS * MAX_RATIO;
  const { warmups, repeats } = plan(ctx, { warmups: 1, repeats: 3 }, { warmups: 1, repeats: 1 });
  for (let w = 0; w < warmups; w++) await once(ctx, QUICK, w, false);
  const runs: RunResult[] = [];
  for (let r = 0; r < repeats; r++) runs.push(await once(ctx, size, r));
  const seconds = summarize(runs.map((x) => x.elapsedS));
  const sum = (f: (x: RunResult) => number) => runs.reduce((n, x) => n + f(x), 0);
  const lost = sum((x) => x.lost);
  const duplicates = sum((x) => x.duplicates);
  const throttledSurfaced = sum((x) => x.throttledSurfaced);
  const retried = sum((x) => x.retried);
  const cpuUsPerMessage = sum((x) => x.cpuUsPerMessage) / runs.length;
  const row = limitRow({
    name: NAME,
    unit: 's',
    value: seconds,
    kind: 'max',
    limit: limitS,
    yardstick: `theoretical minimum ${minimumS} s`,
    yardstickValue: minimumS,
    note: [
      `median of ${repeats} run(s) on fresh Pages, after ${warmups} untimed warm-up`,
      `${(size.messages / seconds.median).toFixed(0)} msg/s`,
      `lost ${lost}`,
      `duplicates ${duplicates}`,
      `throttle errors surfaced ${throttledSurfaced}`,
      `retried ${retried}`,
      `pagekeeper CPU ${cpuUsPerMessage.toFixed(0)} us/msg (${((cpuUsPerMessage * (size.messages / seconds.median)) / 1e4).toFixed(0)}% of a core)`,
      `cap ${CAP_PER_SECOND}/s per page`,
      ...(ctx.options.quick ? [`quick run: ${size.messages.toLocaleString('en-US')} messages`] : []),
    ].join('; '),
  });
  return [{ ...row, target: `<= ${limitS.toFixed(2)} s, 0 lost, 0 throttle errors`, pass: row.pass && lost === 0 && duplicates === 0 && throttledSurfaced === 0 }];
}

export const scenario: Scenario = {
  id: 'outbox-20000',
  subject: 'messenger',
  rows: [{ name: NAME, unit: 's', yardstick: 'theoretical minimum 10 s', target: '<= 11.5 s, 0 lost, 0 throttle errors' }],
  // A warm-up of about 12 s and three runs of about 25 s each (setup, enqueue, delivery) on a 2-core machine.
  timeoutMs: { quick: 90_000, full: 300_000 },
  run,
};
