import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { connectedKeeper, movableClock } from './setup.js';

/**
 * `pagekeeper serve` starts its scheduler with no `onRound` listener: the rounds must run all
 * the same. (They did not: `onRound?.(await runRound())` skipped the round when nobody listened,
 * so serve never swept.)
 */
describe('a health scheduler started without an onRound listener', () => {
  it('still runs its rounds: a token Facebook revoked is marked invalid without anyone asking', async () => {
    const emu = await startTestEmulator();
    const clock = movableClock(emu);
    const { pk, userId, pageIds } = await connectedKeeper(emu, { clock });
    await emu.control.event(userId, 'password_changed');
    await clock.advanceSeconds(4 * 3600);
    const scheduler = pk.schedule({ every: 6 * 3600_000, initialDelayMs: 0, minCallIntervalMs: 0 });
    try {
      const deadline = Date.now() + 15_000;
      let statuses: string[] = [];
      while (Date.now() < deadline) {
        statuses = (await pk.pages()).map((p) => p.status);
        if (statuses.every((s) => s !== 'healthy')) break;
        await sleep(50);
      }
      expect(statuses).toHaveLength(pageIds.length);
      expect(statuses.every((s) => s !== 'healthy')).toBe(true);
    } finally {
      await scheduler.stop();
      await pk.close();
      await emu.close();
    }
  });
});
