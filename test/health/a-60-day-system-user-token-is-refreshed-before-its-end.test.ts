import { describe, expect, it } from 'vitest';
import { text } from '../../src/messenger/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, movableClock, openKeeper } from './setup.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

async function sixtyDaySystemUser() {
  const emu = await startTestEmulator();
  await emu.control.setLimits({ enabled: false });
  const pageId = emu.users[0]!.pages[0]!.id;
  const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }], expiresInDays: 60 });
  const clock = movableClock(emu);
  const k = await openKeeper(emu, { clock });
  const connected = await k.pk.connect(su.accessToken);
  const scheduler = k.pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, sleep: async () => {} });
  return { emu, clock, ...k, su, pageId, scheduler, firstEnd: connected.userToken.expiresAt! };
}

async function canSend(emu: Awaited<ReturnType<typeof sixtyDaySystemUser>>['emu'], pk: Awaited<ReturnType<typeof sixtyDaySystemUser>>['pk'], pageId: string, clock: { now(): Date }) {
  const { psid } = await emu.control.inbound(pageId, { text: 'still there?' });
  await pk.messenger.recordInbound(pageId, psid, clock.now());
  return pk.messenger.send(pageId, psid, text('yes'));
}

describe('a system user token that lasts 60 days', () => {
  it('is refreshed by the scheduled health check before its end, with its Page tokens, and keeps sending', async () => {
    const { emu, clock, pk, su, pageId, scheduler, firstEnd, logger } = await sixtyDaySystemUser();
    expect(firstEnd.getTime() - clock.now().getTime()).toBeGreaterThan(59 * DAY);

    // 30 days in: 30 days left, nothing to do yet.
    await clock.advanceDays(30);
    await emu.control.resetStats();
    expect(await scheduler.runRound()).toMatchObject({ refreshed: 0 });
    expect((await emu.control.stats()).calls['GET /oauth/access_token'] ?? 0).toBe(0);

    // 50 days in: 10 days left, inside the refresh window.
    await clock.advanceDays(20);
    const round = await scheduler.runRound();
    expect(round.refreshed).toBe(1);
    expect((await emu.control.stats()).calls['GET /oauth/access_token']).toBe(1);

    const user = await pk.context.store.users.get(su.id);
    expect(user).toMatchObject({ tokenKind: 'system_user', status: 'valid' });
    const newEnd = user!.tokenExpiresAt!.getTime();
    expect(newEnd - clock.now().getTime()).toBeGreaterThan(59 * DAY);
    const [summary] = await pk.pages();
    expect(summary).toMatchObject({ id: pageId, status: 'healthy' });
    // The Page token was replaced too and ends with the new system user token.
    expect(Math.abs(summary!.tokenExpiresAt!.getTime() - newEnd)).toBeLessThan(2_000);
    expect(await auditOf(pk, 'system_user_token_refreshed')).toMatchObject([{ userId: su.id, oldState: firstEnd.toISOString() }]);
    const fresh = (await pk.context.store.users.getWithToken(su.id))!.token;
    expect(fresh).not.toBe(su.accessToken);
    expect(logger.text()).toContain('system user token refreshed');
    for (const secret of [su.accessToken, fresh, await pk.page(pageId).token()]) expect(logger.text()).not.toContain(secret);

    // Past the first token's end: the Page still sends, and a check finds it healthy.
    await clock.advanceDays(15);
    await expect(canSend(emu, pk, pageId, clock)).resolves.toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    const check = await pk.check();
    expect(check.pages).toMatchObject([{ id: pageId, status: 'healthy' }]);
    await scheduler.stop();
  });

  it('without a refresh the Page turns expiring, then needs a new token, in system-user words', async () => {
    const { pk, pageId, clock, scheduler } = await sixtyDaySystemUser();
    await scheduler.stop();
    await clock.advanceDays(50);
    const soon = await pk.check();
    expect(soon.pages[0]).toMatchObject({ id: pageId, status: 'expiring' });
    expect(soon.pages[0]!.reason).toMatch(/system user token .* ends on \d{4}-\d\d-\d\d \(in (9|10) days\)/);
    expect(soon.pages[0]!.fix).toMatch(/refreshes 60-day system user tokens/);

    await clock.advanceDays(11);
    const late = await pk.check();
    expect(late.pages[0]).toMatchObject({ id: pageId, status: 'needs_reauth' });
    expect(late.pages[0]!.reason).toMatch(/system user's 60-day token/);
    expect(late.pages[0]!.fix).toMatch(/Business Settings > Users > System users > Generate new token/);
  });

  it('a Page unassigned since the connect is dropped and does not block the refresh of the others', async () => {
    const emu = await startTestEmulator();
    await emu.control.setLimits({ enabled: false });
    const [kept, gone] = emu.users[0]!.pages.map((p) => p.id);
    const su = await emu.control.createSystemUser({ name: 'Quiet Bot', pages: [{ id: kept! }, { id: gone! }], expiresInDays: 60, accounts: 'empty' });
    const clock = movableClock(emu);
    const { pk } = await openKeeper(emu, { clock });
    await pk.connect(su.accessToken, { pageIds: [kept!, gone!] });
    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, sleep: async () => {} });
    // Business Settings: the Page is no longer assigned to the system user.
    await emu.control.event(su.id, 'page_role_removed', gone!);
    await clock.advanceDays(50);
    expect(await scheduler.runRound()).toMatchObject({ refreshed: 1 });
    const newEnd = (await pk.context.store.users.get(su.id))!.tokenExpiresAt!.getTime();
    expect(newEnd - clock.now().getTime()).toBeGreaterThan(59 * DAY);
    const keptTokens = await pk.context.store.pageTokens.listForPage(kept!);
    expect(keptTokens).toHaveLength(1);
    expect(Math.abs(keptTokens[0]!.expiresAt!.getTime() - newEnd)).toBeLessThan(2_000);
    expect(await pk.context.store.pageTokens.get(gone!, su.id)).toBeUndefined();
    await scheduler.stop();
  });

  it('a failed refresh keeps the old tokens working and is tried again next round', async () => {
    const { emu, clock, pk, pageId, scheduler, firstEnd } = await sixtyDaySystemUser();
    await clock.advanceDays(50);
    // Until cleared: a read is retried up to 10 times on Facebook-side errors, so a count of 10 would be absorbed.
    await emu.control.addFault({ match: '/oauth/access_token', kind: 'http500' });
    expect(await scheduler.runRound()).toMatchObject({ refreshed: 0 });
    expect((await pk.pages())[0]!.tokenExpiresAt?.getTime()).toBe(Math.floor(firstEnd.getTime() / 1000) * 1000);
    await expect(canSend(emu, pk, pageId, clock)).resolves.toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    await emu.control.clearFaults();
    expect(await scheduler.runRound()).toMatchObject({ refreshed: 1 });
    await scheduler.stop();
  });
});
