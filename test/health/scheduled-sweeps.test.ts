import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UsageSnapshot } from '../../src/graph/usage.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { movableClock, newKey, openKeeper, tempDir } from './setup.js';

const HOUR = 3600_000;

function usageAt(callCount: number | null): () => UsageSnapshot {
  return () => ({ app: callCount === null ? null : { callCount, totalTime: callCount, totalCputime: callCount }, pages: {}, page: null, at: Date.now() });
}

/** A sleep that returns at once and remembers what it was asked to wait. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

async function keeperWith120Tokens() {
  const emu = await startTestEmulator();
  const created = await emu.control.createUser({ name: 'Chain', pages: Array.from({ length: 120 }, (_, i) => ({ name: `Store ${i}` })) });
  await emu.control.setLimits({ enabled: false });
  const clock = movableClock(emu);
  const dbFile = join(tempDir(), 'pk.db');
  const keys = newKey();
  const k = await openKeeper(emu, { clock, dbFile, keys });
  await k.pk.connect(created.shortLivedToken);
  return { emu, clock, ...k };
}

describe('scheduled sweeps', () => {
  it('120 stale tokens: 3 batch calls (counted on the emulator); a second round in the same period makes none', async () => {
    const { emu, clock, pk } = await keeperWith120Tokens();
    const { sleep } = recordingSleep();
    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, sleep });
    await clock.advanceSeconds(4 * 3600);
    await emu.control.resetStats();

    const round = await scheduler.runRound();
    expect(round).toMatchObject({ inspected: 120, calls: 3, subscriptionCalls: 3, invalidated: 0, failed: 0, complete: true });
    const stats = await emu.control.stats();
    // 3 debug_token batches and, since sweeps read webhook subscriptions, 3 subscribed_apps batches.
    expect(stats.calls['POST /']).toBe(6);
    expect(stats.calls['GET /{page-id}/subscribed_apps']).toBe(120);
    expect(stats.calls['GET /debug_token']).toBe(120);

    await emu.control.resetStats();
    expect(await scheduler.runRound()).toMatchObject({ inspected: 0, calls: 0 });
    expect((await emu.control.stats()).total).toBe(0);
    await scheduler.stop();
  });

  it('a round is bounded and the next one resumes with the least recently checked tokens', async () => {
    const { emu, clock, pk } = await keeperWith120Tokens();
    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, maxTokensPerRound: 70, sleep: recordingSleep().sleep });
    await clock.advanceSeconds(4 * 3600);
    await emu.control.resetStats();

    expect(await scheduler.runRound()).toMatchObject({ inspected: 70, calls: 2, complete: false });
    expect(await scheduler.runRound()).toMatchObject({ inspected: 50, calls: 1, complete: true });
    expect((await emu.control.stats()).calls['GET /debug_token']).toBe(120);
    await scheduler.stop();
  });

  it('finds a token invalidated since the last check, and says so in the Page status', async () => {
    const { emu, clock, pk } = await keeperWith120Tokens();
    const users = await emu.control.request<{ data: { id: string; name: string }[] }>('GET', 'users');
    const chain = users.data.find((u) => u.name === 'Chain')!;
    await emu.control.event(chain.id, 'checkpoint');
    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 4, sleep: recordingSleep().sleep });
    await clock.advanceSeconds(4 * 3600);
    const round = await scheduler.runRound();
    expect(round).toMatchObject({ inspected: 120, invalidated: 120, complete: true });
    expect(round.partitions.sort()).toEqual([0, 1, 2, 3]);
    expect(round.changed.every((c) => c.status === 'needs_reauth' && /security check/.test(c.reason ?? ''))).toBe(true);
    await scheduler.stop();
  });

  it('slows down and pauses when the app usage reaches its share of the budget', async () => {
    const { clock, pk } = await keeperWith120Tokens();
    await clock.advanceSeconds(4 * 3600);
    const opts = { every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, budgetShare: 0.5, minCallIntervalMs: 100, pauseMs: 60_000 };

    const low = recordingSleep();
    const calm = pk.schedule({ ...opts, usage: usageAt(5), sleep: low.sleep });
    expect(await calm.runRound()).toMatchObject({ calls: 3, pauses: 0 });
    // The first call goes at once; then the normal spacing.
    expect(low.waits).toEqual([100, 100]);
    await calm.stop();

    await clock.advanceSeconds(4 * 3600);
    const high = recordingSleep();
    const busy = pk.schedule({ ...opts, usage: usageAt(80), sleep: high.sleep });
    const round = await busy.runRound();
    expect(round).toMatchObject({ calls: 3, pauses: 3, complete: true });
    expect(high.waits).toEqual([60_000, 60_000, 60_000]);
    await busy.stop();

    await clock.advanceSeconds(4 * 3600);
    const near = recordingSleep();
    const careful = pk.schedule({ ...opts, usage: usageAt(45), sleep: near.sleep });
    expect(await careful.runRound()).toMatchObject({ calls: 3, pauses: 0 });
    expect(near.waits).toHaveLength(2);
    for (const w of near.waits) {
      expect(w).toBeGreaterThan(100);
      expect(w).toBeLessThan(60_000);
    }
    await careful.stop();
  });

  it('two instances on one database split the sweep: every token inspected once', async () => {
    const { emu, clock, pk, dbFile, keys } = await keeperWith120Tokens();
    const other = await openKeeper(emu, { clock, dbFile, keys });
    await clock.advanceSeconds(4 * 3600);
    await emu.control.resetStats();
    const opts = { every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 8, minCallIntervalMs: 0 };
    const a = pk.schedule({ ...opts, instanceId: 'a' });
    const b = other.pk.schedule({ ...opts, instanceId: 'b' });
    const [ra, rb] = await Promise.all([a.runRound(), b.runRound()]);
    expect(ra.inspected + rb.inspected).toBe(120);
    expect((await emu.control.stats()).calls['GET /debug_token']).toBe(120);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('runs by itself on its timer until stopped', async () => {
    const { clock, pk } = await keeperWith120Tokens();
    await clock.advanceSeconds(4 * 3600);
    const rounds: number[] = [];
    let resolveFirst!: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const scheduler = pk.schedule({
      every: 6 * HOUR,
      initialDelayMs: 0,
      partitions: 2,
      minCallIntervalMs: 0,
      onRound: (r) => {
        rounds.push(r.inspected);
        resolveFirst();
      },
    });
    await first;
    await scheduler.stop();
    await scheduler.done;
    expect(rounds).toEqual([120]);
  });
});
