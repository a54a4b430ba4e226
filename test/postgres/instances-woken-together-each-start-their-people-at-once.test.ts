/**
 * Two instances sharing one PostgreSQL outbox, both idle, are woken at the same moment by work
 * that became due (a burst after a quiet spell). Each one's scan finds its own people's heads
 * and claims them: neither skips heads the other's scan holds, so no one's people wait for
 * that instance's next poll. The poll here is a minute long; the messages must all be out in
 * seconds, and each instance must have sent its part.
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createPageKeeper, type PageKeeper } from '../../src/pagekeeper.js';
import { keeperOptions } from '../helpers/emulator.js';
import { waitFor } from '../helpers/messenger.js';
import { prepareOutboxWorld } from '../helpers/outbox-world.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';

const PAGES = 4;
const PEOPLE_PER_PAGE = 15;
const MESSAGES = PAGES * PEOPLE_PER_PAGE * 2;
const POLL_MS = 60_000;

const probe = await startPostgres();
const skipped = 'skipped' in probe ? probe.skipped : undefined;
if (skipped) console.log(`[postgres] woken-together suite skipped: ${skipped}`);
afterAll(async () => {
  if (!skipped) await (probe as PostgresHandle).stop();
});

describe.skipIf(skipped !== undefined)('two instances woken together', () => {
  it('each claim their own people at once instead of waiting for their next poll', { timeout: 60_000 }, async () => {
    const database = (probe as PostgresHandle).url;
    const w = await prepareOutboxWorld({ database, pages: PAGES, recipients: PEOPLE_PER_PAGE, messages: MESSAGES, held: true });
    const keepers: PageKeeper[] = [];
    onTestFinished(async () => {
      for (const k of keepers) await k.close();
      await w.close();
    });
    for (let i = 0; i < 2; i++) keepers.push(await createPageKeeper(keeperOptions(w.emu, { database, keys: w.env.PAGEKEEPER_KEYS! })));
    const workers = keepers.map((k, i) => k.messenger.startWorker({ workerId: `together-${i}`, pollMs: POLL_MS }));
    // Both idle (nothing due) until each has counted the other live (live counts run every 250 ms).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await w.delivered()).toBe(0);

    await w.release();
    const wokenAt = Date.now();
    for (const worker of workers) worker.wake();
    await waitFor(() => w.delivered(), (n) => n >= MESSAGES, 20_000, 20);
    // A person left for a minute-long poll would show here.
    expect(Date.now() - wokenAt).toBeLessThan(POLL_MS / 4);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === MESSAGES, 10_000, 20);
    for (const worker of workers) expect(worker.sent).toBeGreaterThan(0);
    expect(workers[0]!.sent + workers[1]!.sent).toBe(MESSAGES);

    const texts = [...(await w.sent()).values()].flat().map((m) => m.text);
    expect(new Set(texts).size).toBe(MESSAGES);
  });
});
