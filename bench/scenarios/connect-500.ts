/**
 * Connecting a user with 500 pages makes at most 30 HTTP requests to Graph: at most 20 for the
 * tokens (paging with a large `limit`, debug_token in batches of 50), plus one `subscribed_apps`
 * batch per 50 Pages, since connect subscribes every Page it can to the app's webhooks (10 for
 * 500 Pages; the budget was 20 before connect subscribed). Counted as HTTP requests
 * (bench/lib/http-counter.ts); the emulator's /_emulator/stats, which counts each batch item,
 * is printed beside. Each repeat connects a fresh user (a first connect), into a fresh pagekeeper.
 */
import { createUser, graphCallsBetween, shortLivedToken, stats } from '../lib/fixtures.js';
import { countHttpRequests } from '../lib/http-counter.js';
import { summarize, timed } from '../lib/measure.js';
import { openPageKeeper } from '../lib/pagekeeper.js';
import { plan } from '../lib/plan.js';
import { limitRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';

const PAGES = 500;
/** 20 for the tokens, 1 per 50 Pages for the webhook subscriptions. */
const MAX_CALLS = 20 + PAGES / 50;

export const scenario: Scenario = {
  id: 'connect-500',
  subject: 'tokens',
  rows: [
    { name: 'connect a 500-page user: Graph calls', unit: 'calls', yardstick: 'target', target: `<= ${MAX_CALLS} calls` },
    { name: 'connect a 500-page user: time', unit: 'ms', yardstick: 'reported', target: 'none (reported)' },
  ],
  run: async (ctx) => {
    const emu = ctx.emulator;
    const p = plan(ctx, { warmups: 1, repeats: 3 }, { warmups: 0, repeats: 1 });
    const calls: number[] = [];
    const ms: number[] = [];
    let lastByEndpoint: Record<string, number> = {};
    let emulatorCounted = 0;
    for (let r = 0; r < p.warmups + p.repeats; r++) {
      const user = await createUser(emu, `Bench Connect ${r}`, PAGES);
      const keeper = await openPageKeeper(emu);
      try {
        const token = await shortLivedToken(emu, user.id);
        const before = await stats(emu);
        const counter = countHttpRequests(emu.url);
        const seconds = await timed(() => keeper.pk.connect(token)).finally(counter.stop);
        const delta = graphCallsBetween(before, await stats(emu));
        if (r >= p.warmups) {
          calls.push(counter.count());
          ms.push(seconds * 1000);
          lastByEndpoint = delta.byEndpoint;
          emulatorCounted = delta.total;
          ctx.log(`  connect: ${counter.count()} HTTP requests (emulator counts ${delta.total} calls, batch items one each), ${Math.round(seconds * 1000)} ms`);
        }
      } finally {
        await keeper.close();
      }
    }
    const breakdown = Object.entries(lastByEndpoint)
      .map(([k, v]) => `${k} x${v}`)
      .join(', ');
    return [
      limitRow({
        name: 'connect a 500-page user: Graph calls',
        unit: 'calls',
        value: summarize(calls),
        kind: 'max',
        limit: MAX_CALLS,
        note: `HTTP requests to Graph; /_emulator/stats counts ${emulatorCounted} (each batch item as one): ${breakdown}`,
      }),
      {
        name: 'connect a 500-page user: time',
        value: summarize(ms).median,
        unit: 'ms',
        yardstick: 'reported',
        yardstickValue: null,
        ratio: null,
        target: 'none (reported)',
        pass: true,
        spread: { min: Math.min(...ms), max: Math.max(...ms), samples: ms.length },
      },
    ];
  },
};
