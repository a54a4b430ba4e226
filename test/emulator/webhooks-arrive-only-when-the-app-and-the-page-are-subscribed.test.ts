/**
 * The emulator delivers a Page's Messenger events as Facebook does: only when the app has an
 * active `page` subscription (`/{app-id}/subscriptions`) and the Page is subscribed to the app
 * with the field (`/{page-id}/subscribed_apps`); a callback URL failing for an hour is disabled
 * and the app unsubscribed from the Pages.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GRAPH_VERSION, graph, longLivedToken, pageTokens, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

/** A receiver that answers the hub.challenge and records every POST; `failPosts` makes them 500. */
async function receiver(options: { failPosts?: boolean } = {}) {
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      res.end(url.searchParams.get('hub.verify_token') === 'vt-1' ? (url.searchParams.get('hub.challenge') ?? '') : 'no');
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(body);
      res.statusCode = options.failPosts ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts };
}

async function pageTokenOf(emu: TestEmulator, pageId: string, user = emu.users[0]!) {
  return (await pageTokens(emu, await longLivedToken(emu, user.shortLivedToken))).get(pageId)!;
}

const appToken = (emu: TestEmulator) => `${emu.appId}|${emu.appSecret}`;

describe('webhook subscriptions in the emulator', () => {
  it('an unsubscribed Page receives nothing; subscribing it with messages makes its events arrive', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver();
    const user = await emu.control.createUser({ name: 'Una Subscribed', pages: [{ name: 'Quiet Shop', subscribed: false }] });
    const pageId = user.pages[0]!.id;
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt-1' });

    const first = await emu.control.inbound(pageId, { text: 'hello?' });
    expect(first.delivered).toBe(false);
    expect(first.notDelivered).toMatch(/not subscribed to the app/);
    expect(hook.posts).toHaveLength(0);

    const token = await pageTokenOf(emu, pageId, user);
    const missing = await graph(emu, `${GRAPH_VERSION}/${pageId}/subscribed_apps`, { form: { access_token: token } });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ code: 100, message: '(#100) The parameter subscribed_fields is required.' });

    const sub = await graph(emu, `${GRAPH_VERSION}/${pageId}/subscribed_apps`, { form: { access_token: token, subscribed_fields: 'messages,message_reads' } });
    expect(sub.json).toEqual({ success: true });
    const read = await graph(emu, `${GRAPH_VERSION}/${pageId}/subscribed_apps?access_token=${encodeURIComponent(token)}`);
    expect(read.json.data).toEqual([expect.objectContaining({ id: emu.appId, subscribed_fields: ['messages', 'message_reads'] })]);

    expect((await emu.control.inbound(pageId, { text: 'now?' })).delivered).toBe(true);
    expect(hook.posts).toHaveLength(1);

    // Unsubscribing stops the events again.
    expect((await graph(emu, `${GRAPH_VERSION}/${pageId}/subscribed_apps?access_token=${encodeURIComponent(token)}`, { method: 'DELETE' })).json).toMatchObject({ success: true });
    expect((await emu.control.inbound(pageId, { text: 'and now?' })).delivered).toBe(false);
    expect(hook.posts).toHaveLength(1);
  });

  it('a Page made through the control API is subscribed as if before, but nothing arrives without an app subscription', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    expect((await emu.control.pageSubscription(pageId)).subscribedFields).toContain('messages');
    const r = await emu.control.inbound(pageId, { text: 'hi' });
    expect(r.delivered).toBe(false);
    expect(r.notDelivered).toMatch(/no page webhook subscription/);
  });

  it('subscribing a Page needs pages_manage_metadata, with Facebook\'s error', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'No Metadata', pages: [{ name: 'Shop', subscribed: false }], scopes: ['pages_show_list', 'pages_messaging'] });
    const token = await pageTokenOf(emu, user.pages[0]!.id, user);
    const r = await graph(emu, `${GRAPH_VERSION}/${user.pages[0]!.id}/subscribed_apps`, { form: { access_token: token, subscribed_fields: 'messages' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 200, message: '(#200) Requires pages_manage_metadata permission to manage the object' });
  });

  it('/{app-id}/subscriptions: POST verifies the callback, GET lists {name, version} fields, DELETE removes', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver();
    const path = `${GRAPH_VERSION}/${emu.appId}/subscriptions`;

    expect((await graph(emu, `${path}?access_token=${encodeURIComponent(appToken(emu))}`)).json).toEqual({ data: [] });
    // A user token is refused.
    const userToken = await longLivedToken(emu);
    expect((await graph(emu, `${path}?access_token=${encodeURIComponent(userToken)}`)).json.error).toMatchObject({ code: 15 });

    // The callback must echo the challenge for this verify token.
    const wrong = await graph(emu, path, { form: { access_token: appToken(emu), object: 'page', callback_url: hook.url, fields: 'messages', verify_token: 'not-it' } });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 2200, message: expect.stringMatching(/callback verification failed/) });

    const ok = await graph(emu, path, { form: { access_token: appToken(emu), object: 'page', callback_url: hook.url, fields: 'messages,messaging_postbacks', include_values: 'true', verify_token: 'vt-1' } });
    expect(ok.json).toEqual({ success: true });
    const list = await graph(emu, `${path}?access_token=${encodeURIComponent(appToken(emu))}`);
    expect(list.json.data).toEqual([
      { object: 'page', callback_url: hook.url, active: true, fields: [{ name: 'messages', version: GRAPH_VERSION }, { name: 'messaging_postbacks', version: GRAPH_VERSION }] },
    ]);
    // Delivered to the callback set here, with no PUT /_emulator/webhook at all.
    expect((await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'via the app subscription' })).delivered).toBe(true);
    expect(hook.posts).toHaveLength(1);

    expect((await graph(emu, `${path}?object=page&access_token=${encodeURIComponent(appToken(emu))}`, { method: 'DELETE' })).json).toEqual({ success: true });
    expect((await graph(emu, `${path}?access_token=${encodeURIComponent(appToken(emu))}`)).json).toEqual({ data: [] });
  });

  it('a callback failing for an hour is disabled: inactive, Pages unsubscribed, nothing delivered until set up again', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver({ failPosts: true });
    const pageId = emu.users[0]!.pages[0]!.id;
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt-1', maxAttempts: 1 });

    expect((await emu.control.inbound(pageId, { text: 'one' })).delivered).toBe(false);
    await emu.control.advanceClock(1800);
    expect((await emu.control.inbound(pageId, { text: 'two' })).delivered).toBe(false);
    expect((await emu.control.webhook()).subscription).toMatchObject({ active: true });
    await emu.control.advanceClock(1800);
    expect((await emu.control.inbound(pageId, { text: 'three' })).delivered).toBe(false);
    expect(hook.posts).toHaveLength(3);

    // Disabled now: the subscription is inactive and the app is off every Page.
    expect((await emu.control.webhook()).subscription).toMatchObject({ active: false });
    const list = await graph(emu, `${GRAPH_VERSION}/${emu.appId}/subscriptions?access_token=${encodeURIComponent(appToken(emu))}`);
    expect(list.json.data[0]).toMatchObject({ object: 'page', active: false });
    expect((await emu.control.pageSubscription(pageId)).subscribedFields).toBeNull();
    const r = await emu.control.inbound(pageId, { text: 'four' });
    expect(r.notDelivered).toMatch(/inactive/);
    expect(hook.posts).toHaveLength(3);
  });
});
