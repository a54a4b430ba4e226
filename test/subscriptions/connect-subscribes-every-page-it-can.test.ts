/**
 * Connect subscribes every connected Page whose token can to the app's webhooks, with
 * PAGEKEEPER_WEBHOOK_FIELDS; a Page it cannot subscribe is connected all the same and reported
 * with the reason and the fix; a Page no one grants any more is unsubscribed.
 */
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, openKeeper } from '../tokens/setup.js';

const DEFAULT_FIELDS = ['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals'];

describe('connect subscribes Pages to webhooks', () => {
  it('subscribes every Page with the default fields, in batches, and pages() shows it', async () => {
    const emu = await startTestEmulator();
    await emu.control.setLimits({ enabled: false });
    const user = await emu.control.createUser({ name: 'Many Shops', pages: Array.from({ length: 60 }, (_, i) => ({ name: `Shop ${i}`, subscribed: false })) });
    const { pk } = await openKeeper(emu);
    await emu.control.resetStats();

    const result = await pk.connect(user.shortLivedToken);
    expect(result.pages).toHaveLength(60);
    for (const p of result.pages) expect(p.subscription).toEqual({ subscribed: true, fields: DEFAULT_FIELDS, reason: null, fix: null });
    for (const p of user.pages) expect((await emu.control.pageSubscription(p.id)).subscribedFields).toEqual(DEFAULT_FIELDS);
    const stats = await emu.control.stats();
    expect(stats.calls['POST /{page-id}/subscribed_apps']).toBe(60);
    // 2 debug_token batches and 2 subscription batches: one request per 50 Pages, not one per Page.
    expect(stats.calls['POST /']).toBe(4);

    const pages = await pk.pages();
    expect(pages.every((p) => p.subscription.subscribed && p.subscription.checkedAt !== null)).toBe(true);
  });

  it('uses PAGEKEEPER_WEBHOOK_FIELDS when given', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Few Fields', pages: [{ name: 'Shop', subscribed: false }] });
    const { pk } = await openKeeper(emu, { webhookFields: ['messages', 'message_echoes'] });
    const r = await pk.connect(user.shortLivedToken);
    expect(r.pages[0]!.subscription).toMatchObject({ subscribed: true, fields: ['messages', 'message_echoes'] });
    expect((await emu.control.pageSubscription(user.pages[0]!.id)).subscribedFields).toEqual(['messages', 'message_echoes']);
  });

  it('a token without pages_manage_metadata connects its Pages but reports each as not subscribed, with the reason and fix', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'No Metadata', pages: [{ name: 'Shop A', subscribed: false }, { name: 'Shop B', subscribed: false }], scopes: ['pages_show_list', 'pages_messaging'] });
    const { pk } = await openKeeper(emu);
    await emu.control.resetStats();
    const r = await pk.connect(user.shortLivedToken);
    expect(r.pages.map((p) => p.status)).toEqual(['healthy', 'healthy']);
    for (const p of r.pages) {
      expect(p.subscription.subscribed).toBe(false);
      expect(p.subscription.reason).toMatch(/pages_manage_metadata/);
      expect(p.subscription.fix).toMatch(/connect again/i);
    }
    // No call that could only fail was made.
    expect((await emu.control.stats()).calls['POST /{page-id}/subscribed_apps']).toBeUndefined();
    expect(await pk.page(user.pages[0]!.id).token()).toMatch(/^EAA/);
    const listed = await pk.pages();
    expect(listed.map((p) => p.subscription.reason)).toEqual([expect.stringMatching(/pages_manage_metadata/), expect.stringMatching(/pages_manage_metadata/)]);
  });

  it('a person who cannot moderate the Page: Facebook\'s refusal is reported, the Page stays connected', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Only Messaging', pages: [{ name: 'Shop', tasks: ['MESSAGING'], subscribed: false }] });
    const { pk } = await openKeeper(emu);
    const r = await pk.connect(user.shortLivedToken);
    expect(r.pages).toHaveLength(1);
    expect(r.pages[0]!.subscription).toMatchObject({ subscribed: false, reason: expect.stringMatching(/moderate/i), fix: expect.any(String) });
    expect((await emu.control.pageSubscription(user.pages[0]!.id)).subscribedFields).toBeNull();
  });

  it('a Page the person no longer grants is unsubscribed with the token still held for it', async () => {
    const emu = await startTestEmulator();
    const { pk } = await openKeeper(emu);
    const [a, b] = emu.users[0]!.pages.map((p) => p.id) as [string, string];
    const redirectUri = 'http://localhost:9/callback';
    const login = async (pageIds: string[]) => {
      const back = await loginThroughDialog(pk.loginUrl({ redirectUri, state: 's' }), { pageIds });
      return pk.connectWithCode({ code: back.searchParams.get('code')!, redirectUri });
    };
    await login([a, b]);
    expect((await emu.control.pageSubscription(a)).subscribedFields).toEqual(DEFAULT_FIELDS);
    const again = await login([b]);
    expect(again.removed).toEqual([a]);
    expect((await emu.control.pageSubscription(a)).subscribedFields).toBeNull();
    expect((await emu.control.pageSubscription(b)).subscribedFields).toEqual(DEFAULT_FIELDS);
  });

  it('a second admin without pages_manage_metadata does not undo what the first one subscribed', async () => {
    const emu = await startTestEmulator();
    const first = await emu.control.createUser({ name: 'Can Subscribe', pages: [{ name: 'Shared Shop', subscribed: false }] });
    const pageId = first.pages[0]!.id;
    const second = await emu.control.createUser({ name: 'Cannot', pages: [{ id: pageId }], scopes: ['pages_show_list', 'pages_messaging'] });
    const { pk } = await openKeeper(emu);
    await pk.connect(first.shortLivedToken);
    const r = await pk.connect(second.shortLivedToken);
    expect(r.pages[0]!.subscription).toMatchObject({ subscribed: true, reason: null });
    expect((await pk.pages())[0]!.subscription.subscribed).toBe(true);
  });
});
