/**
 * Peak RSS of `pagekeeper serve` holding 100,000 stored pages after a full sweep
 * (<= 200 MB), and connect and sweep time for 100,000 pages with their Graph call counts. serve
 * runs from the built dist/ on plain node, as `node dist/cli/main.js serve` does (`npm run build`
 * first), not through tsx.
 *
 * 200 emulated users of 500 pages each (control API) are connected one after another through the
 * library into a SQLite file (HTTP requests counted with bench/lib/http-counter.ts), the library
 * is closed, and the service is started on that file in a child process (bench/lib/serve-child-built.mjs:
 * serve's wiring, its outbox worker, listening) which runs one full health-scheduler round over
 * every token (debug_token batches of 50). The peak is the child's VmHWM from /proc after the
 * round: everything serve held or allocated from start to the end of the sweep. A quick run
 * does 20 users (10,000 pages) and says so in the row names; the call budget scales (1 per 50).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startChildServer } from '../lib/child-process.js';
import { createUser, graphCallsBetween, shortLivedToken, stats } from '../lib/fixtures.js';
import { GRAPH_VERSION } from '../lib/fixtures.js';
import { countHttpRequests } from '../lib/http-counter.js';
import { summarize, timed } from '../lib/measure.js';
import { loadCreatePageKeeper } from '../lib/pagekeeper.js';
import { limitRow } from '../lib/rows.js';
import { readRss } from '../lib/rss.js';
import type { Row, Scenario } from '../lib/types.js';

const PAGES_PER_USER = 500;
const USERS = { full: 200, quick: 20 };
const MAX_RSS_MB = 200;
/** debug_token in batches of 50: one HTTP request per 50 tokens. */
const TOKENS_PER_CALL = 50;

function names(pages: number, quick: boolean) {
  const n = `${pages.toLocaleString('en-US')} pages${quick ? ' (quick)' : ''}`;
  return {
    rss: `serve with ${n} after a sweep: peak RSS`,
    connect: `connect ${n} (${pages / PAGES_PER_USER} users x ${PAGES_PER_USER}): time`,
    sweepCalls: `sweep ${n} in serve: HTTP requests`,
    sweepTime: `sweep ${n} in serve: time`,
  };
}

const FULL = names(USERS.full * PAGES_PER_USER, false);

function reported(name: string, unit: string, value: number, note: string): Row {
  return { name, value, unit, yardstick: 'reported', yardstickValue: null, ratio: null, target: 'none (reported)', pass: true, note };
}

export const scenario: Scenario = {
  id: 'serve-memory-100k',
  issue: 8,
  rows: [
    { name: FULL.rss, unit: 'MB', yardstick: 'target', target: `<= ${MAX_RSS_MB} MB` },
    { name: FULL.connect, unit: 's', yardstick: 'reported', target: 'none (reported)' },
    { name: FULL.sweepCalls, unit: 'calls', yardstick: 'target', target: `<= ${(USERS.full * PAGES_PER_USER) / TOKENS_PER_CALL} calls` },
    { name: FULL.sweepTime, unit: 's', yardstick: 'reported', target: 'none (reported)' },
  ],
  timeoutMs: { quick: 240_000, full: 1_200_000 },
  run: async (ctx) => {
    const emu = ctx.emulator;
    const quick = ctx.options.quick;
    const users = quick ? USERS.quick : USERS.full;
    const pages = users * PAGES_PER_USER;
    const n = names(pages, quick);
    const dir = mkdtempSync(join(tmpdir(), 'pk-bench-serve-'));
    try {
      const database = `sqlite:${join(dir, 'serve.db')}`;
      const keys = `k1:${randomBytes(32).toString('base64')}`;

      // Fixtures first (untimed), then the connects (timed, counted).
      const tokens: string[] = [];
      for (let u = 0; u < users; u++) tokens.push(await shortLivedToken(emu, (await createUser(emu, `Bench Serve ${u}`, PAGES_PER_USER)).id));
      const create = await loadCreatePageKeeper();
      const pk = await create({ appId: emu.appId, appSecret: emu.appSecret, database, keys, graphUrl: emu.url, graphVersion: GRAPH_VERSION });
      const before = await stats(emu);
      const counter = countHttpRequests(emu.url);
      let connectS: number;
      try {
        connectS = await timed(async () => {
          for (let u = 0; u < users; u++) {
            await pk.connect(tokens[u]!);
            if ((u + 1) % 20 === 0) ctx.log(`  connected ${((u + 1) * PAGES_PER_USER).toLocaleString('en-US')} pages`);
          }
        });
      } finally {
        counter.stop();
        await pk.close();
      }
      const connectCalls = graphCallsBetween(before, await stats(emu));
      const connectRequests = counter.count();
      ctx.log(`  connect: ${connectS.toFixed(1)} s, ${connectRequests} HTTP requests (emulator counts ${connectCalls.total})`);

      // serve on that database: one full sweep, then read its high-water mark.
      const serve = await startChildServer<{ pid: number }>('bench/lib/serve-child-built.mjs', [], {
        PAGEKEEPER_APP_ID: emu.appId,
        PAGEKEEPER_APP_SECRET: emu.appSecret,
        PAGEKEEPER_DATABASE: database,
        PAGEKEEPER_KEYS: keys,
        PAGEKEEPER_GRAPH_URL: emu.url,
        PAGEKEEPER_GRAPH_VERSION: GRAPH_VERSION,
        PAGEKEEPER_LOG_LEVEL: 'warn',
      });
      let swept: { ms: number; httpRequests: number; inspected: number; failed: number; complete: boolean };
      let rss: { rssMb: number; peakMb: number };
      try {
        const atStart = readRss(serve.pid);
        ctx.log(`  serve listening: RSS ${atStart.rssMb.toFixed(0)} MB`);
        swept = await serve.waitFor('swept', quick ? 200_000 : 1_000_000);
        rss = readRss(serve.pid);
        ctx.log(`  serve swept ${swept.inspected} tokens in ${(swept.ms / 1000).toFixed(1)} s with ${swept.httpRequests} HTTP requests; RSS ${rss.rssMb.toFixed(0)} MB, peak ${rss.peakMb.toFixed(0)} MB`);
      } finally {
        await serve.stop();
      }
      const quickNote = quick ? `quick run: ${pages.toLocaleString('en-US')} pages, not 100,000; ` : '';
      const incomplete = swept.inspected < pages || !swept.complete ? `; the round inspected only ${swept.inspected} of ${pages} (${swept.failed} failed)` : '';
      const maxCalls = pages / TOKENS_PER_CALL;
      return [
        limitRow({ name: n.rss, unit: 'MB', value: summarize([rss.peakMb]), kind: 'max', limit: MAX_RSS_MB, note: `${quickNote}VmHWM of serve's wiring over the built dist/ on plain node (no tsx) after one full health round; RSS then ${rss.rssMb.toFixed(0)} MB` }),
        reported(n.connect, 's', connectS, `${quickNote}${connectRequests} HTTP requests to Graph (${(connectRequests / users).toFixed(1)} per user); /_emulator/stats: ${Object.entries(connectCalls.byEndpoint).map(([k, v]) => `${k} x${v}`).join(', ')}`),
        {
          ...limitRow({ name: n.sweepCalls, unit: 'calls', value: summarize([swept.httpRequests]), kind: 'max', limit: maxCalls, note: `${quickNote}HTTP requests the serve process sent to Graph during the round (1 per ${TOKENS_PER_CALL} tokens allowed)${incomplete}` }),
          ...(incomplete ? { pass: false } : {}),
        },
        reported(n.sweepTime, 's', swept.ms / 1000, `${quickNote}${Math.round(swept.inspected / (swept.ms / 1000)).toLocaleString('en-US')} tokens/s through serve's health scheduler`),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
