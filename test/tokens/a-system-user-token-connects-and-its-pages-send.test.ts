import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { text } from '../../src/messenger/index.js';
import { graph, startTestEmulator } from '../helpers/emulator.js';
import { openKeeper } from './setup.js';

const DAY_S = 86400;

/** A system user token from Business Settings connects without an exchange, and its Pages send. */
describe('a system user token', () => {
  it('debug_token calls it SYSTEM_USER, never-expiring, with no data-access end', async () => {
    const emu = await startTestEmulator();
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: emu.users[0]!.pages[0]!.id }] });
    const r = await graph(emu, `v25.0/debug_token?input_token=${encodeURIComponent(su.accessToken)}&access_token=${encodeURIComponent(`${emu.appId}|${emu.appSecret}`)}`);
    expect(r.json.data).toMatchObject({ type: 'SYSTEM_USER', is_valid: true, expires_at: 0, data_access_expires_at: 0, user_id: su.id, app_id: emu.appId });
    // A system user token cannot inspect itself.
    const self = await graph(emu, `v25.0/debug_token?input_token=${encodeURIComponent(su.accessToken)}&access_token=${encodeURIComponent(su.accessToken)}`);
    expect(self.json.error.code).toBe(100);
  });

  it('connects with no exchange: its assigned Pages from /me/accounts, tokens never expire, kind recorded, encrypted', async () => {
    const emu = await startTestEmulator();
    const [first, second] = emu.users[0]!.pages;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: first!.id }, { id: second!.id }] });
    const k = await openKeeper(emu);
    await emu.control.resetStats();
    const result = await k.pk.connect(su.accessToken);

    expect(result.user).toEqual({ id: su.id, name: 'Shop Bot' });
    expect(result.userToken).toEqual({ expiresAt: null, kind: 'system_user' });
    expect(result.pages.map((p) => p.id).sort()).toEqual([first!.id, second!.id].sort());
    expect(result.pages.every((p) => p.tokenExpiresAt === null && p.status === 'healthy')).toBe(true);
    const { calls } = await emu.control.stats();
    // One call fewer than a person's connect: debug_token, /me, /me/accounts, one debug_token batch and
    // one batch subscribing the Pages to webhooks; no exchange.
    expect(calls['GET /oauth/access_token'] ?? 0).toBe(0);
    expect([calls['GET /me'], calls['GET /me/accounts'], calls['POST /']]).toEqual([1, 1, 2]);
    expect(calls['POST /{page-id}/subscribed_apps']).toBe(2);
    expect(calls['GET /debug_token']).toBe(1 + 2);

    expect(await k.pk.context.store.users.get(su.id)).toMatchObject({ tokenKind: 'system_user', tokenExpiresAt: null });
    expect((await k.pk.context.store.pageTokens.listForPage(first!.id)).map((t) => t.tokenKind)).toEqual(['system_user']);
    const disk = readFileSync(k.dbFile).toString('latin1') + readFileSync(`${k.dbFile}-wal`, { flag: 'a+' }).toString('latin1');
    expect(disk).not.toContain(su.accessToken);
    expect(disk).not.toContain(await k.pk.page(first!.id).token());
    expect(k.logger.text()).not.toContain(su.accessToken);
  });

  it("its Page's token sends Messenger messages", async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }] });
    const k = await openKeeper(emu);
    await k.pk.connect(su.accessToken);
    const { psid } = await emu.control.inbound(pageId, { text: 'is my order ready?' });
    await k.pk.messenger.recordInbound(pageId, psid, Date.now());
    const sent = await k.pk.messenger.send(pageId, psid, text('Yes, come by!'));
    expect(sent.messageId).toMatch(/^m_/);
    expect((await emu.control.sentMessages(pageId)).map((m) => (m.message as { text?: string } | null)?.text)).toEqual(['Yes, come by!']);
    // Sent with the system user's Page token: the only token stored for the Page.
    expect((await k.pk.context.tokens.get(pageId)).userId).toBe(su.id);
  });

  it('a 60-day token: its Page tokens end with it and pages() shows that end', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }], expiresInDays: 60 });
    const k = await openKeeper(emu);
    const before = Date.now();
    const result = await k.pk.connect(su.accessToken);
    const end = result.userToken.expiresAt!.getTime();
    expect(end).toBeGreaterThanOrEqual(before + 60 * DAY_S * 1000 - 5_000);
    expect(end).toBeLessThanOrEqual(Date.now() + 60 * DAY_S * 1000 + 1_000);
    expect(result.pages[0]!.tokenExpiresAt?.getTime()).toBe(Math.floor(end / 1000) * 1000);
    const [summary] = await k.pk.pages();
    expect(summary).toMatchObject({ id: pageId, status: 'healthy' });
    expect(summary!.tokenExpiresAt?.getTime()).toBe(result.pages[0]!.tokenExpiresAt!.getTime());
  });

  it('Pages left out of /me/accounts are read from the Page itself when named (--pages)', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Quiet Bot', pages: [{ id: pageId }], accounts: 'empty' });
    const k = await openKeeper(emu);

    const none = await k.pk.connect(su.accessToken).catch((e: unknown) => e);
    expect(isPageKeeperError(none, 'PK_SYSTEM_USER_NO_PAGES')).toBe(true);
    expect((none as Error & { fix?: string }).fix).toMatch(/Assign assets|--pages/);
    expect(await k.pk.pages()).toEqual([]);

    const result = await k.pk.connect(su.accessToken, { pageIds: [pageId] });
    expect(result.pages).toMatchObject([{ id: pageId, status: 'healthy', tokenExpiresAt: null }]);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    await k.pk.messenger.recordInbound(pageId, psid, Date.now());
    await expect(k.pk.messenger.send(pageId, psid, text('hi back'))).resolves.toMatchObject({ recipientId: psid });

    // A Page that is not assigned to it is named in the error, and nothing is stored.
    const other = await emu.control.createUser({ name: 'Stranger', pages: [{ name: 'Not Theirs' }] });
    const refused = await k.pk.connect(su.accessToken, { pageIds: [pageId, other.pages[0]!.id] }).catch((e: unknown) => e);
    expect(isPageKeeperError(refused, 'PK_SYSTEM_USER_PAGE_UNAVAILABLE')).toBe(true);
    expect((refused as Error).message).toContain(other.pages[0]!.id);
    expect((refused as Error).message).not.toContain(su.accessToken);
    expect((await k.pk.pages()).map((p) => p.id)).toEqual([pageId]);
  });

  it('when /me/accounts is refused for a system user, the named Pages are read from the Page itself', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Strict Bot', pages: [{ id: pageId }], accounts: 'refused' });
    const k = await openKeeper(emu);
    const none = await k.pk.connect(su.accessToken).catch((e: unknown) => e);
    expect(isPageKeeperError(none, 'PK_SYSTEM_USER_NO_PAGES')).toBe(true);
    expect((none as Error & { fix?: string }).fix).toContain('--pages');
    const result = await k.pk.connect(su.accessToken, { pageIds: [pageId] });
    expect(result.pages).toMatchObject([{ id: pageId, status: 'healthy' }]);
  });

  it('without pages_messaging it is refused, with or without --pages, and nothing is stored', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const k = await openKeeper(emu);
    const mute = await emu.control.createSystemUser({ name: 'Mute Bot', pages: [{ id: pageId }], scopes: ['pages_show_list'] });
    const e = await k.pk.connect(mute.accessToken).catch((x: unknown) => x);
    expect(isPageKeeperError(e, 'PK_TOKEN_MISSING_SCOPES')).toBe(true);
    expect((e as Error & { fix?: string }).fix).toMatch(/Business Settings > System users/);
    // --pages needs no pages_show_list, but messaging is still the point.
    expect(isPageKeeperError(await k.pk.connect(mute.accessToken, { pageIds: [pageId] }).catch((x: unknown) => x), 'PK_TOKEN_MISSING_SCOPES')).toBe(true);
    expect(await k.pk.pages()).toEqual([]);
    expect(await k.pk.context.store.users.list()).toEqual([]);
  });

  it('expect: system_user refuses a person\'s token with what to do instead', async () => {
    const emu = await startTestEmulator();
    const k = await openKeeper(emu);
    const e = await k.pk.connect(emu.users[0]!.shortLivedToken, { expect: 'system_user' }).catch((x: unknown) => x);
    expect(isPageKeeperError(e, 'PK_TOKEN_NOT_SYSTEM_USER')).toBe(true);
    expect((e as Error).message).toContain('USER');
    expect(await k.pk.pages()).toEqual([]);
  });
});
