/**
 * Three instances (separate processes) on one PostgreSQL sweeping 1,000
 * stale tokens split the work through partition leases: each token is inspected once, counted
 * as debug_token batch items on the emulator.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { keeperOptions } from '../helpers/emulator.js';
import { spawnInstance, stopAll } from '../helpers/instances.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';

const USERS = 10;
const PAGES_PER_USER = 100;
const TOKENS = USERS * PAGES_PER_USER;
const DAY = 86_400_000;

const probe = await startPostgres();
const skipped = 'skipped' in probe ? probe.skipped : undefined;
if (skipped) console.log(`[postgres] several-instances sweep suite skipped: ${skipped}`);
afterAll(async () => {
  if (!skipped) await (probe as PostgresHandle).stop();
});

describe.skipIf(skipped !== undefined)('three instances on one PostgreSQL', () => {
  it('sweeping 1,000 tokens inspect each token once', { timeout: 180_000 }, async () => {
    const database = (probe as PostgresHandle).url;
    const emu = await startEmulator({ host: '127.0.0.1', port: 0 });
    await emu.control.setLimits({ enabled: false });
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    const pk = await createPageKeeper(keeperOptions(emu, { database, keys }));
    const children: Awaited<ReturnType<typeof spawnInstance>>[] = [];
    onTestFinished(async () => {
      await stopAll(children);
      await pk.close();
      await emu.close();
    });

    for (let u = 0; u < USERS; u++) {
      const user = await emu.control.createUser({ name: `Admin ${u}`, pages: Array.from({ length: PAGES_PER_USER }, (_, i) => ({ name: `Store ${u}-${i}` })) });
      await pk.connect(user.shortLivedToken);
    }
    const db = pk.context.store.db;
    // Last checked two days ago: stale for a sweep that runs daily.
    await db.updateTable('page_tokens').set({ last_checked_at: Date.now() - 2 * DAY }).execute();
    expect(Number((await db.selectFrom('page_tokens').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(TOKENS);
    await emu.control.resetStats();

    const env = { PAGEKEEPER_DATABASE: database, PAGEKEEPER_KEYS: keys, PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PK_PARTITIONS: '8' };
    children.push(...(await Promise.all(['a', 'b', 'c'].map((id) => spawnInstance('sweep', env, `sweeper-${id}`)))));
    for (const c of children) c.go();
    const rounds = await Promise.all(children.map((c) => c.waitFor('round', 120_000)));

    const inspected = rounds.map((r) => r.inspected as number);
    expect(inspected.reduce((a, b) => a + b, 0)).toBe(TOKENS);
    expect(rounds.every((r) => r.failed === 0)).toBe(true);
    // Every partition was taken by some instance (one that comes to a partition already swept
    // this period finds nothing stale in it and inspects nothing).
    expect(new Set(rounds.flatMap((r) => r.partitions as number[])).size).toBe(8);

    const stats = await emu.control.stats();
    expect(stats.calls['GET /debug_token']).toBe(TOKENS);
    const stale = await db.selectFrom('page_tokens').select('page_id').where('last_checked_at', '<', Date.now() - DAY).execute();
    expect(stale).toEqual([]);
    console.log(`[postgres] three sweepers inspected ${inspected.join(' + ')} tokens in ${stats.calls['POST /'] ?? 0} batch calls`);
  });
});
