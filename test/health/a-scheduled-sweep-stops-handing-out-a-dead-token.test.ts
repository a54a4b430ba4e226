import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { connectedKeeper, movableClock } from './setup.js';

const HOUR = 3600_000;

/**
 * A token the scheduler finds invalid must leave the token cache at once: page(id).token()
 * must not keep handing out, from memory, a token the store now says is dead.
 */
describe('a scheduled sweep that finds a token invalid', () => {
  it('drops it from the token cache: page(id).token() refuses instead of answering from memory', async () => {
    const emu = await startTestEmulator();
    const clock = movableClock(emu);
    const { pk, userId, pageIds } = await connectedKeeper(emu, { clock });
    const pageId = pageIds[0]!;
    const cached = await pk.page(pageId).token();
    expect(await pk.page(pageId).token()).toBe(cached); // served from the cache from now on

    await emu.control.event(userId, 'password_changed');
    await clock.advanceSeconds(4 * 3600);
    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 3, minCallIntervalMs: 0 });
    const round = await scheduler.runRound();
    await scheduler.stop();
    expect(round).toMatchObject({ invalidated: pageIds.length, complete: true });

    const after = await pk.page(pageId).token().catch((e: unknown) => e);
    expect(after).not.toBe(cached);
    expect(after).toMatchObject({ code: 'PK_NO_VALID_TOKEN' });
  });
});
