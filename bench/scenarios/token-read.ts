/**
 * `page(id).token()` single-threaded, measured with tinybench:
 * - from the in-memory cache (the same page again and again): >= 1,000,000 calls/s;
 * - from the database with decryption (a pagekeeper whose cache holds one entry, cycling over
 *   200 pages, so every call misses: one SQLite read and one AES-256-GCM decryption): >= 20,000/s.
 */
import { createUser, shortLivedToken } from '../lib/fixtures.js';
import { openPageKeeper } from '../lib/pagekeeper.js';
import { plan } from '../lib/plan.js';
import { limitRow } from '../lib/rows.js';
import { tinybenchRate } from '../lib/tinybench-rate.js';
import type { Scenario } from '../lib/types.js';

const PAGES = 200;
const CACHED_TARGET = 1_000_000;
const DATABASE_TARGET = 20_000;

export const scenario: Scenario = {
  id: 'token-read',
  subject: 'tokens',
  rows: [
    { name: 'page(id).token() from cache', unit: 'calls/s', yardstick: 'target', target: '>= 1,000,000 calls/s' },
    { name: 'page(id).token() from database + decrypt', unit: 'calls/s', yardstick: 'target', target: '>= 20,000 calls/s' },
  ],
  run: async (ctx) => {
    const emu = ctx.emulator;
    const user = await createUser(emu, 'Bench Reader', PAGES);
    // A cache of one entry: the same page always hits, a cycle over 200 pages always misses.
    const keeper = await openPageKeeper(emu, { tokenCacheSize: 1 });
    try {
      await keeper.pk.connect(await shortLivedToken(emu, user.id));
      const ids = user.pages.map((p) => p.id);
      const first = ids[0]!;
      const p = plan(ctx, { warmups: 1, repeats: 5 }, { warmups: 1, repeats: 3 });
      const timeMs = ctx.options.quick ? 300 : 1000;
      const cached = await tinybenchRate(() => keeper.pk.page(first).token(), { ...p, batch: 1000, timeMs, log: ctx.log, label: 'cached' });
      const fromDb = await tinybenchRate((i) => keeper.pk.page(ids[i % ids.length]!).token(), { ...p, batch: 100, timeMs, log: ctx.log, label: 'database' });
      return [
        limitRow({ name: 'page(id).token() from cache', unit: 'calls/s', value: cached, kind: 'min', limit: CACHED_TARGET, note: 'tinybench, batches of 1,000 sequential awaits' }),
        limitRow({ name: 'page(id).token() from database + decrypt', unit: 'calls/s', value: fromDb, kind: 'min', limit: DATABASE_TARGET, note: 'tinybench, tokenCacheSize 1 cycling over 200 pages (every call misses)' }),
      ];
    } finally {
      await keeper.close();
    }
  },
};
