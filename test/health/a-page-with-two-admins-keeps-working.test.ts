import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, memoryNotifier, openKeeper } from './setup.js';

/** Failover between two admins of one Page. */
describe('a Page two people connected keeps working when one of them loses their token', () => {
  async function twoAdmins() {
    const emu = await startTestEmulator();
    const alice = emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const bob = await emu.control.createUser({ name: 'Bob', pages: [{ id: pageId }] });
    const notifier = memoryNotifier();
    const k = await openKeeper(emu, { notifiers: [notifier] });
    await k.pk.connect(alice.shortLivedToken);
    await k.pk.connect(bob.shortLivedToken);
    return { emu, ...k, alice, bob, pageId, notifier };
  }

  it('the failed GET is retried once on the other token, the Page stays healthy with a warning', async () => {
    const { emu, pk, alice, bob, pageId } = await twoAdmins();
    // Alice connected first, so her token is in use.
    expect((await pk.context.tokens.get(pageId)).userId).toBe(alice.id);
    await emu.control.event(alice.id, 'password_changed');
    await emu.control.resetStats();

    const page = await pk.page(pageId).get<{ id: string }>(pageId, { fields: 'id,name' });
    expect(page.id).toBe(pageId);
    // The refused call and its one retry on Bob's token.
    expect((await emu.control.stats()).total).toBe(2);

    const [summary] = (await pk.pages()).filter((p) => p.id === pageId);
    expect(summary).toMatchObject({ status: 'healthy', reason: null, tokens: { total: 2, valid: 1 } });
    expect(summary!.warning).toMatch(/1 of 2 tokens .* no longer valid \(password changed\)/);
    expect(await auditOf(pk, 'token_invalidated', pageId)).toMatchObject([{ userId: alice.id, reason: 'password_changed' }]);
    expect(await auditOf(pk, 'page_status_changed', pageId)).toEqual([]);

    // The cache now serves Bob's token: the next call goes straight through.
    await emu.control.resetStats();
    expect((await pk.context.tokens.get(pageId)).userId).toBe(bob.id);
    await pk.page(pageId).get(pageId);
    expect((await emu.control.stats()).total).toBe(1);
  });

  it('a refused POST is not repeated (Facebook does not de-duplicate), but the next one uses the other token', async () => {
    const { emu, pk, alice, pageId } = await twoAdmins();
    await emu.control.event(alice.id, 'logged_out');
    await emu.control.resetStats();
    await expect(pk.page(pageId).post(`${pageId}/subscribed_apps`, { subscribed_fields: ['messages'] })).rejects.toMatchObject({ kind: 'token_invalid', subcode: 467 });
    expect((await emu.control.stats()).total).toBe(1);
    await pk.page(pageId).post(`${pageId}/subscribed_apps`, { subscribed_fields: ['messages'] });
    expect((await pk.pages()).find((p) => p.id === pageId)).toMatchObject({ status: 'healthy', tokens: { valid: 1 } });
  });

  it('when the second admin is lost too, the Page needs re-authentication', async () => {
    const { emu, pk, alice, bob, pageId } = await twoAdmins();
    await emu.control.event(alice.id, 'password_changed');
    await emu.control.event(bob.id, 'checkpoint');
    await expect(pk.page(pageId).get(pageId)).rejects.toMatchObject({ kind: 'token_invalid', subcode: 459 });
    const [summary] = (await pk.pages()).filter((p) => p.id === pageId);
    expect(summary).toMatchObject({ status: 'needs_reauth', tokens: { total: 2, valid: 0 } });
    expect(await auditOf(pk, 'token_invalidated', pageId)).toHaveLength(2);
    expect(await auditOf(pk, 'page_status_changed', pageId)).toMatchObject([{ oldState: 'healthy', newState: 'needs_reauth' }]);
  });
});

describe('many calls failing together make one state change and one alert', () => {
  it('50 concurrent GETs on a dead token: one write, one audit row per change, one alert per change', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const notifier = memoryNotifier();
    const { pk } = await openKeeper(emu, { notifiers: [notifier] });
    await pk.connect(user.shortLivedToken);
    await pk.health.alerts!.flush();
    notifier.received.length = 0;
    await emu.control.event(user.id, 'password_changed');

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => pk.page(pageId).get(pageId)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);

    expect(await auditOf(pk, 'token_invalidated', pageId)).toHaveLength(1);
    expect(await auditOf(pk, 'page_status_changed', pageId)).toMatchObject([{ oldState: 'healthy', newState: 'needs_reauth' }]);

    await pk.health.alerts!.flush();
    const forPage = notifier.received.filter((e) => e.pageId === pageId);
    expect(forPage.map((e) => e.type).sort()).toEqual(['page_status_changed', 'token_invalidated']);
    const statusAlert = forPage.find((e) => e.type === 'page_status_changed')!;
    expect(statusAlert).toMatchObject({ oldState: 'healthy', newState: 'needs_reauth', reason: expect.stringMatching(/password/), fix: expect.stringMatching(/connect/) });
    expect(statusAlert.summary).toMatch(/healthy -> needs_reauth/);

    // Later failures of the same token add nothing.
    await pk.page(pageId).get(pageId).catch(() => {});
    await pk.health.alerts!.flush();
    expect(notifier.received.filter((e) => e.pageId === pageId)).toHaveLength(2);
    const rows = await pk.context.store.db.selectFrom('notifications').selectAll().execute();
    expect(rows.filter((r) => r.status === 'delivered')).toHaveLength(rows.length);
  });
});
