/**
 * Send 5,000 Messenger text messages to one page, 64 in flight, with
 * pagekeeper's direct send, each peer library that can send, and the bare undici loop. Same page,
 * same recipients (24 h window open), same body, limits off. Targets: >= 0.85x the bare undici
 * loop, >= 2x the fastest peer (so >= 2x every peer).
 */
import { compareRates, runConcurrent, type Contender, type Summary } from '../lib/measure.js';
import { createUser, exchangeForLongLived, openWindow, pageToken } from '../lib/fixtures.js';
import { pagekeeperSender } from '../lib/pagekeeper-ops.js';
import { plan } from '../lib/plan.js';
import { compareRow } from '../lib/rows.js';
import type { Row, Scenario } from '../lib/types.js';
import { bareUndici, PEERS } from '../peers/index.js';
import type { Sender } from '../peers/types.js';

const MESSAGES = 5_000;
/** A quick run proves the comparison works; it is too short for final numbers. */
const QUICK_MESSAGES = 2_000;
const CONCURRENCY = 64;
const RECIPIENTS = 8;
const TEXT = 'Your order #1234 has shipped.';
const NAME = 'send 5,000 texts';

export const scenario: Scenario = {
  id: 'send-texts',
  subject: 'messenger',
  // Five contenders x (warm-up + 5 repeats): longer than the default cut-off on a busy machine.
  timeoutMs: { quick: 60_000, full: 300_000 },
  rows: [
    { name: `${NAME} vs bare undici`, unit: 'msg/s', yardstick: bareUndici.name, target: '>= 0.85x' },
    ...PEERS.map((p) => ({ name: `${NAME} vs ${p.name}`, unit: 'msg/s', yardstick: p.name, target: '>= 2x' })),
  ],
  run: async (ctx) => {
    const emu = ctx.emulator;
    const user = await createUser(emu, 'Bench Sender', 1);
    const pageId = user.pages[0]!.id;
    const token = await pageToken(emu, await exchangeForLongLived(emu, user.shortLivedToken), pageId);
    const psids: string[] = [];
    for (let i = 0; i < RECIPIENTS; i++) psids.push(await openWindow(emu, pageId));
    const setup = { emu, pageId, pageToken: token, psids, text: TEXT };

    const senders = new Map<string, Sender | Error>();
    const open = async (name: string, make: () => Promise<Sender>) => {
      try {
        senders.set(name, await make());
      } catch (e) {
        senders.set(name, e instanceof Error ? e : new Error(String(e)));
        ctx.log(`  ${name}: ${(e as Error).message}`);
      }
    };
    let via = '';
    await open('pagekeeper', async () => {
      const s = await pagekeeperSender(emu, user.id, pageId, token, psids, TEXT);
      via = `pagekeeper via ${s.via}`;
      return s;
    });
    await open(bareUndici.name, () => bareUndici.sender!(setup));
    for (const p of PEERS) if (p.sender) await open(p.name, () => p.sender!(setup));

    const contenders: Contender[] = [];
    for (const [name, s] of senders) {
      if (s instanceof Error) continue;
      contenders.push({ name, once: (n) => runConcurrent(n, CONCURRENCY, s.send) });
    }
    const work = ctx.options.quick ? QUICK_MESSAGES : MESSAGES;
    // Five interleaved repeats in a full run: the spread shows whether a pass is outside the noise.
    const results = await compareRates(contenders, { ...plan(ctx, { warmups: 1, repeats: 5 }), work, warmupWork: Math.round(work / 5), log: ctx.log });
    if (ctx.options.quick) via = `${via}; quick run: ${QUICK_MESSAGES.toLocaleString('en-US')} messages per run`;
    for (const s of senders.values()) if (!(s instanceof Error)) await s.close();

    const outcome = (name: string): Summary | Error => {
      const s = senders.get(name);
      if (s instanceof Error) return s;
      return results.get(name) ?? new Error('not measured');
    };
    const rows: Row[] = [
      compareRow({ name: `${NAME} vs bare undici`, unit: 'msg/s', yardstick: bareUndici.name, pagekeeper: outcome('pagekeeper'), yardstickOutcome: outcome(bareUndici.name), minRatio: 0.85, note: via }),
    ];
    for (const p of PEERS) {
      rows.push(
        compareRow({
          name: `${NAME} vs ${p.name}`,
          unit: 'msg/s',
          yardstick: p.name,
          pagekeeper: outcome('pagekeeper'),
          yardstickOutcome: p.sender ? outcome(p.name) : new Error('this library cannot send Messenger messages'),
          minRatio: 2,
          note: via,
        }),
      );
    }
    return rows;
  },
};
