import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, memoryNotifier, openKeeper } from './setup.js';

describe('handleDeauthorize(userId): the person removed the app', () => {
  it('marks every token they granted invalid (app_removed); Pages with another admin fail over', async () => {
    const emu = await startTestEmulator();
    const alice = emu.users[0]!;
    const shared = alice.pages[0]!.id;
    const onlyAlice = alice.pages[1]!.id;
    const bob = await emu.control.createUser({ name: 'Bob', pages: [{ id: shared }] });
    const notifier = memoryNotifier();
    const { pk } = await openKeeper(emu, { notifiers: [notifier] });
    await pk.connect(alice.shortLivedToken);
    await pk.connect(bob.shortLivedToken);
    await pk.health.alerts!.flush();
    notifier.received.length = 0;

    await emu.control.resetStats();
    const result = await pk.handleDeauthorize(alice.id);
    // Nothing asked of Facebook: the callback is the news.
    expect((await emu.control.stats()).total).toBe(0);
    expect(result.changed).toBe(true);
    expect(result.pages.map((p) => p.pageId).sort()).toEqual(alice.pages.map((p) => p.id).sort());

    const pages = new Map((await pk.pages()).map((p) => [p.id, p]));
    expect(pages.get(shared)).toMatchObject({ status: 'healthy', tokens: { total: 2, valid: 1 }, warning: expect.stringMatching(/app removed/) });
    expect(pages.get(onlyAlice)).toMatchObject({ status: 'needs_reauth', reason: expect.stringMatching(/removed the app/) });
    expect((await pk.context.store.users.get(alice.id))?.status).toBe('invalid');

    // The shared Page keeps working on Bob's token, without touching Alice's.
    await emu.control.resetStats();
    await pk.page(shared).get(shared);
    expect((await emu.control.stats()).total).toBe(1);

    await pk.health.alerts!.flush();
    const types = notifier.received.map((e) => e.type);
    expect(types.filter((t) => t === 'user_deauthorized')).toHaveLength(1);
    expect(types.filter((t) => t === 'token_invalidated')).toHaveLength(alice.pages.length);
    expect(notifier.received.filter((e) => e.type === 'page_status_changed').map((e) => e.pageId).sort()).toEqual(alice.pages.slice(1).map((p) => p.id).sort());

    // A repeated callback changes nothing and alerts nobody.
    expect((await pk.handleDeauthorize(alice.id)).changed).toBe(false);
    await pk.health.alerts!.flush();
    expect(notifier.received).toHaveLength(types.length);
  });
});

describe('connecting again heals', () => {
  it('a needs_reauth Page is restored by the same person reconnecting, with one "restored" alert', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const notifier = memoryNotifier();
    const { pk } = await openKeeper(emu, { notifiers: [notifier] });
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, 'password_changed');
    await pk.page(pageId).get(pageId).catch(() => {});
    expect((await pk.pages()).find((p) => p.id === pageId)?.status).toBe('needs_reauth');
    await pk.health.alerts!.flush();
    notifier.received.length = 0;

    const fresh = await emu.control.shortLivedToken(user.id);
    const result = await pk.connect(fresh.accessToken);
    expect(result.restored).toEqual([pageId]);
    expect((await pk.pages()).find((p) => p.id === pageId)).toMatchObject({ status: 'healthy', reason: null, tokens: { valid: 1 } });
    await pk.page(pageId).get(pageId);

    expect(await auditOf(pk, 'token_restored', pageId)).toMatchObject([{ userId: user.id, oldState: 'invalid', newState: 'valid', detail: { lostBecause: 'password_changed' } }]);
    await pk.health.alerts!.flush();
    const restored = notifier.received.filter((e) => e.pageId === pageId && e.type === 'page_status_changed');
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ oldState: 'needs_reauth', newState: 'healthy' });
    expect(restored[0]!.summary).toMatch(/restored/);
    const recent = await pk.events({ pageId });
    expect(recent[0]?.type).toMatch(/token_restored|page_status_changed/);
  });

  it('reports the Pages a returning person lost, as alerts', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const lost = user.pages[2]!.id;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, 'page_role_removed', lost);
    const fresh = await emu.control.shortLivedToken(user.id);
    const result = await pk.connect(fresh.accessToken);
    expect(result.removed).toEqual([lost]);
    expect(result.restored).toEqual([]);
    expect(await auditOf(pk, 'page_removed', lost)).toMatchObject([{ userId: user.id, oldState: 'granted' }]);
    const events = await pk.events();
    expect(events.find((e) => e.type === 'page_removed')?.summary).toMatch(/lost/);
  });
});
