/**
 * Peak RSS of `pagekeeper serve` holding 100,000 stored pages after a full sweep
 * (<= 200 MB), and connect and sweep time for 100,000 pages with their Graph call counts. The
 * process measured is the built CLI itself, `node dist/cli/main.js serve --check-now`, on plain
 * node: no tsx, no bench wiring, serve's own health scheduler with its default pacing;
 * `--check-now` only moves its first sweep from a random delay to the start. The row builds
 * `dist/` first (untimed): a `dist/` left from an earlier checkout would be measured instead of
 * the code of this run.
 *
 * 200 emulated users of 500 pages each (control API) are connected one after another through the
 * library into a SQLite file (HTTP requests counted with bench/lib/http-counter.ts), the library
 * is closed, every token's last check is moved 7 hours back (as serve finds them hours after a
 * connect: its first round then inspects all of them), and serve is started on that file. Its log line `scheduled health check finished`
 * ends the round; its Graph HTTP requests are counted by a diagnostics-channel probe preloaded
 * with `node --import` (bench/lib/count-graph-requests.mjs). The peak is the process's VmHWM from
 * /proc after the round: everything serve held or allocated from start to the end of the sweep.
 * A quick run does 20 users (10,000 pages) and says so in the row names; the call budget scales
 * (2 per 50: debug_token, then the same Pages' subscriptions).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { startChildServer } from '../lib/child-process.js';
import { ROOT, startBenchEmulator, type BenchEmulator } from '../lib/emulator-process.js';
import { createUser, disableLimits, graphCallsBetween, shortLivedToken, stats } from '../lib/fixtures.js';
import { GRAPH_VERSION } from '../lib/fixtures.js';
import { countHttpRequests } from '../lib/http-counter.js';
import { summarize, timed } from '../lib/measure.js';
import { loadCreatePageKeeper } from '../lib/pagekeeper.js';
import { limitRow } from '../lib/rows.js';
import { readRss } from '../lib/rss.js';
import type { BenchContext, Row, Scenario } from '../lib/types.js';

const PAGES_PER_USER = 500;
const USERS = { full: 200, quick: 20 };
const MAX_RSS_MB = 200;
/** debug_token in batches of 50: one HTTP request per 50 tokens. */
const TOKENS_PER_CALL = 50;
/**
 * Each batch of 50 tokens is followed by one batch reading those Pages' webhook subscriptions
 * (`GET /{page-id}/subscribed_apps`, so a dropped subscription is found and repaired): two HTTP
 * requests per 50 tokens in all.
 */
const REQUESTS_PER_BATCH = 2;

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
  subject: 'service',
  rows: [
    { name: FULL.rss, unit: 'MB', yardstick: 'target', target: `<= ${MAX_RSS_MB} MB` },
    { name: FULL.connect, unit: 's', yardstick: 'reported', target: 'none (reported)' },
    { name: FULL.sweepCalls, unit: 'calls', yardstick: 'target', target: `<= ${((USERS.full * PAGES_PER_USER) / TOKENS_PER_CALL) * REQUESTS_PER_BATCH} calls` },
    { name: FULL.sweepTime, unit: 's', yardstick: 'reported', target: 'none (reported)' },
  ],
  timeoutMs: { quick: 240_000, full: 1_200_000 },
  run: async (ctx) => {
    // An emulator of its own: 100,000 Pages and their tokens make a heap whose collections pause
    // an emulator for long enough to bunch the sends of the rows that come after (613s from its
    // fixed windows), and Facebook's servers do not carry this run's world in one process.
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    const emu = await startBenchEmulator(ctx.emulator.mode);
    await disableLimits(emu);
    try {
      return await measure(ctx, emu);
    } finally {
      await emu.close();
    }
  },
};

async function measure(ctx: BenchContext, emu: BenchEmulator): Promise<Row[]> {
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

    // As serve finds them hours after a connect: every token last checked 7 hours ago, so its
    // first round (every 6 h, stale after half of it) inspects all of them. Set up in the file
    // directly: the measured process must not have done it.
    const file = new BetterSqlite3(join(dir, 'serve.db'));
    try {
      file.prepare('update page_tokens set last_checked_at = ?').run(Date.now() - 7 * 3600_000);
    } finally {
      file.close();
    }

    // serve on that database: one full sweep, then read its high-water mark.
    const serve = await startChildServer<{ url: string }>(
      'dist/cli/main.js',
      ['serve', '--check-now', '--port', '0', '--json'],
      {
        PAGEKEEPER_APP_ID: emu.appId,
        PAGEKEEPER_APP_SECRET: emu.appSecret,
        PAGEKEEPER_DATABASE: database,
        PAGEKEEPER_KEYS: keys,
        PAGEKEEPER_GRAPH_URL: emu.url,
        PAGEKEEPER_GRAPH_VERSION: GRAPH_VERSION,
        PAGEKEEPER_ADMIN_KEY: randomBytes(24).toString('base64url'),
        PAGEKEEPER_VERIFY_TOKEN: 'bench',
        PAGEKEEPER_LOG_LEVEL: 'info',
      },
      60_000,
      { nodeArgs: ['--import', pathToFileURL(join(ROOT, 'bench/lib/count-graph-requests.mjs')).href], logEvents: true },
    );
    let swept: { ms: number; httpRequests: number; inspected: number; failed: number; complete: boolean };
    let rss: { rssMb: number; peakMb: number };
    try {
      const started = performance.now();
      const atStart = readRss(serve.pid);
      ctx.log(`  serve listening: RSS ${atStart.rssMb.toFixed(0)} MB`);
      const round = await serve.waitFor<{ inspected: number; failed: number; partitions: number }>('scheduled health check finished', quick ? 200_000 : 1_000_000);
      const ms = performance.now() - started;
      rss = readRss(serve.pid);
      serve.signal('SIGUSR2');
      const { count } = await serve.waitFor<{ count: number }>('graph_requests', 10_000);
      swept = { ms, httpRequests: count, inspected: round.inspected, failed: round.failed, complete: round.inspected >= pages };
      ctx.log(`  serve swept ${swept.inspected} tokens in ${(swept.ms / 1000).toFixed(1)} s with ${swept.httpRequests} HTTP requests; RSS ${rss.rssMb.toFixed(0)} MB, peak ${rss.peakMb.toFixed(0)} MB`);
    } finally {
      await serve.stop();
    }
    const quickNote = quick ? `quick run: ${pages.toLocaleString('en-US')} pages, not 100,000; ` : '';
    const incomplete = swept.inspected < pages || !swept.complete ? `; the round inspected only ${swept.inspected} of ${pages} (${swept.failed} failed)` : '';
    const maxCalls = (pages / TOKENS_PER_CALL) * REQUESTS_PER_BATCH;
    return [
      limitRow({ name: n.rss, unit: 'MB', value: summarize([rss.peakMb]), kind: 'max', limit: MAX_RSS_MB, note: `${quickNote}VmHWM of \`node dist/cli/main.js serve --check-now\` after its first health round; RSS then ${rss.rssMb.toFixed(0)} MB` }),
      reported(n.connect, 's', connectS, `${quickNote}${connectRequests} HTTP requests to Graph (${(connectRequests / users).toFixed(1)} per user); /_emulator/stats: ${Object.entries(connectCalls.byEndpoint).map(([k, v]) => `${k} x${v}`).join(', ')}`),
      {
        ...limitRow({ name: n.sweepCalls, unit: 'calls', value: summarize([swept.httpRequests]), kind: 'max', limit: maxCalls, note: `${quickNote}HTTP requests serve sent to Graph from its start to the end of the round (per ${TOKENS_PER_CALL} tokens: one debug_token batch and one subscribed_apps batch)${incomplete}` }),
        ...(incomplete ? { pass: false } : {}),
      },
      reported(n.sweepTime, 's', swept.ms / 1000, `${quickNote}${Math.round(swept.inspected / (swept.ms / 1000)).toLocaleString('en-US')} tokens/s through serve's health scheduler`),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
