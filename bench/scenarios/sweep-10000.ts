/**
 * A sweep (`check()`) of 10,000 stored page tokens makes at most 400 HTTP requests to Graph (one
 * debug_token batch per 50 tokens, then one batch reading those Pages' webhook subscriptions, so a
 * dropped subscription is found and repaired; 200 before sweeps read subscriptions) and
 * takes at most a tenth of the time of a one-call-per-token loop against the same emulator in
 * the same run. The loop is the naive way: one `GET debug_token?input_token=T` per token with the
 * app token, one after another, over a keep-alive undici pool. 20 users of 500 pages each are
 * connected into one pagekeeper first (untimed).
 */
import { Pool } from 'undici';
import { createUser, GRAPH_VERSION, graphCallsBetween, shortLivedToken, stats } from '../lib/fixtures.js';
import { countHttpRequests } from '../lib/http-counter.js';
import { summarize, timed } from '../lib/measure.js';
import { NotAvailable } from '../lib/not-available.js';
import { openPageKeeper } from '../lib/pagekeeper.js';
import { plan } from '../lib/plan.js';
import { compareRow, limitRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';

const USERS = 20;
/** A quick run sweeps 2,500 tokens (5 users) with the call budget scaled to match (2 per 50). */
const QUICK_USERS = 5;
const PAGES_PER_USER = 500;
/** Per 50 tokens: a debug_token batch and a subscribed_apps batch. */
const MAX_CALLS = 400;

export const scenario: Scenario = {
  id: 'sweep-10000',
  subject: 'health',
  rows: [
    { name: 'sweep 10,000 tokens: Graph calls', unit: 'calls', yardstick: 'target', target: `<= ${MAX_CALLS} calls` },
    { name: 'sweep 10,000 tokens: speed vs one-call-per-token loop', unit: 'tokens/s', yardstick: 'one debug_token call per token', target: '>= 10x' },
  ],
  run: async (ctx) => {
    const emu = ctx.emulator;
    const keeper = await openPageKeeper(emu);
    const pool = new Pool(emu.url, { connections: 1, keepAliveTimeout: 60_000 });
    try {
      if (typeof keeper.pk.check !== 'function') throw new NotAvailable('createPageKeeper().check()');
      const users = ctx.options.quick ? QUICK_USERS : USERS;
      const TOKENS = users * PAGES_PER_USER;
      const maxCalls = Math.round((MAX_CALLS * users) / USERS);
      const scaled = ctx.options.quick ? `quick run: ${TOKENS.toLocaleString('en-US')} tokens, budget scaled to ${maxCalls}; ` : '';
      const pageIds: string[] = [];
      for (let u = 0; u < users; u++) {
        const user = await createUser(emu, `Bench Sweep ${u}`, PAGES_PER_USER);
        await keeper.pk.connect(await shortLivedToken(emu, user.id));
        pageIds.push(...user.pages.map((p) => p.id));
      }
      const tokens: string[] = [];
      for (const id of pageIds) tokens.push(await keeper.pk.page(id).token());
      ctx.log(`  connected ${tokens.length} page tokens`);
      const appToken = encodeURIComponent(`${emu.appId}|${emu.appSecret}`);

      const p = plan(ctx, { warmups: 0, repeats: 3 }, { warmups: 0, repeats: 1 });
      const sweepRates: number[] = [];
      const loopRates: number[] = [];
      const calls: number[] = [];
      let emulatorCounted = 0;
      for (let r = 0; r < p.repeats; r++) {
        const before = await stats(emu);
        const counter = countHttpRequests(emu.url);
        const s = await timed(() => keeper.pk.check!()).finally(counter.stop);
        const delta = graphCallsBetween(before, await stats(emu));
        emulatorCounted = delta.total;
        calls.push(counter.count());
        sweepRates.push(TOKENS / s);
        const l = await timed(async () => {
          for (const t of tokens) {
            const res = await pool.request({ method: 'GET', path: `/${GRAPH_VERSION}/debug_token?input_token=${encodeURIComponent(t)}&access_token=${appToken}` });
            const body = (await res.body.json()) as { data?: { is_valid?: boolean } };
            if (res.statusCode !== 200 || body.data?.is_valid !== true) throw new Error(`loop: debug_token answered ${res.statusCode}`);
          }
        });
        loopRates.push(TOKENS / l);
        ctx.log(`  sweep ${s.toFixed(2)} s with ${counter.count()} HTTP requests (emulator counts ${delta.total}); loop ${l.toFixed(2)} s with ${TOKENS} calls`);
      }
      return [
        limitRow({ name: 'sweep 10,000 tokens: Graph calls', unit: 'calls', value: summarize(calls), kind: 'max', limit: maxCalls, note: `${scaled}HTTP requests to Graph; /_emulator/stats counts ${emulatorCounted} (each batch item as one)` }),
        compareRow({
          name: 'sweep 10,000 tokens: speed vs one-call-per-token loop',
          unit: 'tokens/s',
          yardstick: 'one debug_token call per token',
          pagekeeper: summarize(sweepRates),
          yardstickOutcome: summarize(loopRates),
          minRatio: 10,
          note: `${scaled}ratio = loop time / sweep time`,
        }),
      ];
    } finally {
      await pool.close();
      await keeper.close();
    }
  },
};
