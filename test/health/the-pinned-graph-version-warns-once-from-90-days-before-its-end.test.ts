/**
 * The health sweep knows every supported Graph version's end (src/core/graph-versions.ts): from 90
 * days before the pinned one ends it raises one alert, and one more once it has ended; later rounds
 * and a restart raise none.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, memoryNotifier, newKey, openKeeper, tempDir } from './setup.js';

const DAY_MS = 86_400_000;

describe('the pinned Graph version nears its end', { timeout: 60_000 }, () => {
  it('v22.0 (served until 2027-05-20): quiet 91 days before, one alert on the 89th day, none after, one more once ended', async () => {
    // Keeper and emulator share one clock that the test moves.
    let nowMs = Date.parse('2027-02-18T12:00:00Z');
    const emu = await startTestEmulator({ now: () => nowMs });
    const clock: Clock = { now: () => new Date(nowMs) };
    const dbFile = join(tempDir(), 'pk.db');
    const keys = newKey();
    const notifier = memoryNotifier();
    const open = () => openKeeper(emu, { clock, dbFile, keys, graphVersion: 'v22.0', notifiers: [notifier] });
    const { pk } = await open();
    const scheduler = pk.schedule({ initialDelayMs: 24 * 3600_000, partitions: 1, sleep: async () => {} });

    await scheduler.runRound();
    await pk.health.alerts!.flush();
    expect(await auditOf(pk, 'graph_version_ending')).toEqual([]);
    expect(notifier.received).toEqual([]);

    nowMs += 3 * DAY_MS; // 2027-02-21: 88 days left
    await scheduler.runRound();
    await scheduler.runRound();
    await pk.health.alerts!.flush();
    expect(notifier.received.map((e) => [e.type, e.oldState, e.newState])).toEqual([['graph_version_ending', 'v22.0', 'ending']]);
    expect(notifier.received[0]!.summary).toContain('Graph API v22.0 ends on 2027-05-20 (in 88 days)');
    expect(notifier.received[0]!.fix).toContain('PAGEKEEPER_GRAPH_VERSION=v26.0');
    await scheduler.stop();
    await pk.close();

    // A restart does not raise it again.
    const again = await open();
    const next = again.pk.schedule({ initialDelayMs: 24 * 3600_000, partitions: 1, sleep: async () => {} });
    await next.runRound();
    await again.pk.health.alerts!.flush();
    expect(await auditOf(again.pk, 'graph_version_ending')).toHaveLength(1);

    nowMs = Date.parse('2027-05-21T08:00:00Z'); // the day after the last day
    await next.runRound();
    await next.runRound();
    await again.pk.health.alerts!.flush();
    expect(notifier.received.map((e) => e.newState)).toEqual(['ending', 'ended']);
    expect(notifier.received[1]!.summary).toContain('v22.0 ended on 2027-05-20');
    await next.stop();
  });
});
