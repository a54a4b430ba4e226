/**
 * Several instances on one PostgreSQL share the outbox: with Facebook's round trip modelled
 * (the emulator answering in 200 ms), three instances started together each deliver part of
 * 3,000 queued messages (none starves while another holds every person's head), every message
 * exactly once and in order per person.
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawnInstance, stopAll, type Instance } from '../helpers/instances.js';
import { prepareOutboxWorld } from '../helpers/outbox-world.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';
import { waitFor } from '../helpers/messenger.js';

const MESSAGES = 3_000;
const PAGES = 10;

const probe = await startPostgres();
const skipped = 'skipped' in probe ? probe.skipped : undefined;
if (skipped) console.log(`[postgres] fair-share suite skipped: ${skipped}`);
afterAll(async () => {
  if (!skipped) await (probe as PostgresHandle).stop();
});

describe.skipIf(skipped !== undefined)('three instances at a 200 ms round trip', () => {
  it('each deliver part of the work, every message once and in order per person', { timeout: 120_000 }, async () => {
    const w = await prepareOutboxWorld({ database: (probe as PostgresHandle).url, pages: PAGES, recipients: 30, messages: MESSAGES, latencyMs: 200 });
    const running: Instance[] = [];
    onTestFinished(async () => {
      await stopAll(running);
      await w.close();
    });
    const env = { ...w.env, PK_LEASE_MS: '3000', PAGEKEEPER_DB_POOL_SIZE: '10', PK_MAX_PER_SECOND: '100' };
    running.push(...(await Promise.all([0, 1, 2].map((i) => spawnInstance('outbox', env, `fair-${i}`)))));
    for (const i of running) i.go();
    await waitFor(() => w.delivered(), (n) => n >= MESSAGES, 90_000, 50);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === MESSAGES, 10_000, 50);
    await stopAll(running);

    const shares = await Promise.all(running.map(async (i) => Number((await i.waitFor('stopped')).sent)));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    // Each instance's part: at least a twentieth of the work (a third would be an even split; on a
    // loaded machine a process starved of CPU sends less, which is not a claim that starves it).
    for (const n of shares) expect(n).toBeGreaterThanOrEqual(MESSAGES / 20);

    const sent = await w.sent();
    const texts = [...sent.values()].flat().map((m) => m.text);
    expect(texts).toHaveLength(MESSAGES);
    expect(new Set(texts).size).toBe(MESSAGES);
    for (const list of sent.values()) {
      const last = new Map<string, number>();
      for (const { text } of list) {
        const [who, n] = text.split('#') as [string, string];
        expect(Number(n)).toBeGreaterThan(last.get(who) ?? 0);
        last.set(who, Number(n));
      }
    }
  });
});
