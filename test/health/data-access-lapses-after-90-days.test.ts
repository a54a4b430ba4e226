import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, movableClock, openKeeper } from './setup.js';

/**
 * data_access_expires_at: data access lapses 90 days after the person was last active, even
 * while the token itself stays valid (docs/graph-api.md "Inspecting a token: debug_token"). Warned within 14 days.
 */
describe('data access lapsing after 90 days of inactivity', () => {
  it('day 80: expiring with the date; day 91: needs_reauth; logging in and reconnecting heals', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const clock = movableClock(emu);
    const { pk } = await openKeeper(emu, { clock });
    await pk.connect(user.shortLivedToken);
    expect((await pk.check()).healthy).toBe(user.pages.length);

    await clock.advanceDays(80);
    const day80 = await pk.check();
    const p80 = day80.pages.find((p) => p.id === pageId)!;
    expect(p80).toMatchObject({ status: 'expiring', previousStatus: 'healthy' });
    expect(p80.reason).toMatch(/data access .* ends on \d{4}-\d{2}-\d{2} \(in (9|10) days\)/i);
    expect(p80.fix).toMatch(/open the app|reconnect/i);

    await clock.advanceDays(11);
    const day91 = await pk.check();
    const p91 = day91.pages.find((p) => p.id === pageId)!;
    expect(p91).toMatchObject({ status: 'needs_reauth', previousStatus: 'expiring' });
    expect(p91.reason).toMatch(/data access .* lapsed/i);
    expect(await auditOf(pk, 'page_status_changed', pageId)).toMatchObject([
      { oldState: 'healthy', newState: 'expiring' },
      { oldState: 'expiring', newState: 'needs_reauth' },
    ]);

    // Logging in counts as activity; reconnecting stores the fresh data-access date.
    const fresh = await emu.control.shortLivedToken(user.id);
    await pk.connect(fresh.accessToken);
    expect((await pk.pages()).find((p) => p.id === pageId)).toMatchObject({ status: 'healthy' });
  });

  it('the scheduled sweep reaches the same verdicts', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const clock = movableClock(emu);
    const { pk } = await openKeeper(emu, { clock });
    await pk.connect(user.shortLivedToken);
    const scheduler = pk.schedule({ every: 3600_000, initialDelayMs: 3600_000 * 24, partitions: 2, minCallIntervalMs: 0 });

    await clock.advanceDays(80);
    const r80 = await scheduler.runRound();
    expect(r80.inspected).toBe(user.pages.length);
    expect(r80.changed.map((c) => c.status)).toEqual(user.pages.map(() => 'expiring'));
    await clock.advanceDays(11);
    const r91 = await scheduler.runRound();
    expect(r91.changed.map((c) => [c.previousStatus, c.status])).toEqual(user.pages.map(() => ['expiring', 'needs_reauth']));
    await scheduler.stop();
  });
});
