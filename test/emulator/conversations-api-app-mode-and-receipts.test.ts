import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { graph, longLivedToken, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

async function pageToken(emu: TestEmulator, pageId: string): Promise<string> {
  const user = await longLivedToken(emu);
  const r = await graph(emu, `v25.0/${pageId}?fields=access_token&access_token=${encodeURIComponent(user)}`);
  return r.json.access_token as string;
}

const FIELDS = encodeURIComponent('messages.limit(20){created_time,from}');

describe('the emulated Conversations API', () => {
  it('answers a thread per person with the newest messages first, from either side, times as Graph writes them', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const token = await pageToken(emu, pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    const sent = await graph(emu, `v25.0/${pageId}/messages?access_token=${encodeURIComponent(token)}`, { body: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi!' } } });
    expect(sent.status).toBe(200);

    const bare = await graph(emu, `v25.0/${pageId}/conversations?platform=messenger&user_id=${psid}&access_token=${encodeURIComponent(token)}`);
    expect(bare.json).toEqual({ data: [{ id: expect.stringMatching(/^t_/) }] });

    const r = await graph(emu, `v25.0/${pageId}/conversations?platform=messenger&user_id=${psid}&fields=${FIELDS}&access_token=${encodeURIComponent(token)}`);
    expect(r.status).toBe(200);
    const messages = r.json.data[0].messages.data as Array<{ id: string; created_time: string; from: { id: string; email: string } }>;
    expect(messages.map((m) => m.from.id)).toEqual([pageId, psid]);
    expect(messages[1]!.from.email).toBe(`${psid}@facebook.com`);
    expect(messages[0]!.created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);

    await new Promise((r) => setTimeout(r, 1000)); // 2 calls per second per Page
    const thread = await graph(emu, `v25.0/${bare.json.data[0].id}?fields=messages&access_token=${encodeURIComponent(token)}`);
    expect(thread.json).toEqual({ messages: { data: [{ created_time: messages[0]!.created_time, id: messages[0]!.id }, { created_time: messages[1]!.created_time, id: messages[1]!.id }] }, id: bare.json.data[0].id });
    const otherPage = await pageToken(emu, emu.users[0]!.pages[1]!.id);
    const foreign = await graph(emu, `v25.0/${bare.json.data[0].id}?fields=messages&access_token=${encodeURIComponent(otherPage)}`);
    expect(foreign.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    const nobody = await graph(emu, `v25.0/${pageId}/conversations?platform=messenger&user_id=1234567&access_token=${encodeURIComponent(token)}`);
    expect(nobody.json).toEqual({ data: [] });
  });

  it('lets only the 20 most recent messages be read, and allows 2 calls per second per Page (613 beyond)', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const token = await pageToken(emu, pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'message 0' });
    for (let i = 1; i < 25; i++) await emu.control.inbound(pageId, { psid, text: `message ${i}` });
    const url = `v25.0/${pageId}/conversations?platform=messenger&user_id=${psid}&fields=${encodeURIComponent('messages.limit(50){message}')}&access_token=${encodeURIComponent(token)}`;
    const r = await graph(emu, url);
    expect(r.json.data[0].messages.data.map((m: { message: string }) => m.message)).toEqual(Array.from({ length: 20 }, (_, i) => `message ${24 - i}`));
    await graph(emu, url);
    const third = await graph(emu, url);
    expect([third.status, third.json.error.code]).toEqual([400, 613]);
  });

  it('refuses a user token and a Page token without pages_manage_metadata', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const user = await longLivedToken(emu);
    const r = await graph(emu, `v25.0/${pageId}/conversations?platform=messenger&access_token=${encodeURIComponent(user)}`);
    expect(r.json.error).toMatchObject({ code: 210 });
    const { accessToken } = await emu.control.shortLivedToken(emu.users[0]!.id, ['pages_show_list', 'pages_messaging']);
    const pt = await graph(emu, `v25.0/${pageId}?fields=access_token&access_token=${encodeURIComponent(accessToken)}`);
    const denied = await graph(emu, `v25.0/${pageId}/conversations?platform=messenger&access_token=${encodeURIComponent(pt.json.access_token as string)}`);
    expect(denied.json.error).toMatchObject({ code: 200, message: '(#200) Requires pages_manage_metadata permission to manage the object' });
  });
});

describe('the emulated app mode', () => {
  it("in development mode answers Facebook's code-10 refusal for a person without a role, and sends to a tester", async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const token = await pageToken(emu, pageId);
    const { psid: stranger } = await emu.control.inbound(pageId, { text: 'hi' });
    const { psid: tester } = await emu.control.inbound(pageId, { text: 'hi', role: 'tester' });
    expect(await emu.control.request('PUT', 'app', { mode: 'development' })).toMatchObject({ mode: 'development' });
    const send = (to: string) => graph(emu, `v25.0/${pageId}/messages?access_token=${encodeURIComponent(token)}`, { body: { recipient: { id: to }, messaging_type: 'RESPONSE', message: { text: 'x' } } });
    const refused = await send(stranger);
    expect([refused.status, refused.json.error.code, refused.json.error.error_subcode]).toEqual([400, 10, undefined]);
    expect(refused.json.error.message).toMatch(/^\(#10\) Cannot message users who are not admins, developers or testers of the app/);
    expect((await send(tester)).status).toBe(200);
    await emu.control.setRole(stranger, 'developer');
    expect((await send(stranger)).status).toBe(200);
    await expect(emu.control.request('PUT', 'app', { mode: 'sandbox' })).rejects.toThrow(/400/);
    await expect(emu.control.setRole('999', 'tester')).rejects.toThrow(/404/);
  });
});

describe('the emulated receipt webhooks', () => {
  it('go out only when the app and the Page are subscribed to message_deliveries / message_reads', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET') return res.end(url.searchParams.get('hub.challenge') ?? '');
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => receiver.close(() => r())));
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const token = await pageToken(emu, pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hi' });
    expect(await emu.control.receipt(pageId, { psid, type: 'read' })).toMatchObject({ delivered: false, notDelivered: expect.stringMatching(/no page webhook subscription/) });

    await emu.control.setWebhook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, verifyToken: 'v' });
    const subscribe = (fields: string) => graph(emu, `v25.0/${pageId}/subscribed_apps?access_token=${encodeURIComponent(token)}`, { form: { subscribed_fields: fields } });
    expect((await subscribe('messages')).status).toBe(200);
    expect(await emu.control.receipt(pageId, { psid, type: 'read' })).toMatchObject({ delivered: false, notDelivered: expect.stringMatching(/without the message_reads field/) });
    expect((await subscribe('messages,message_reads')).status).toBe(200);
    const watermark = Date.now() - 1000;
    expect(await emu.control.receipt(pageId, { psid, type: 'read', watermark })).toMatchObject({ delivered: true, watermark });
    expect(JSON.parse(bodies.at(-1)!)).toMatchObject({ object: 'page', entry: [{ id: pageId, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, read: { watermark } }] }] });

    await expect(emu.control.request('POST', `pages/${pageId}/receipts`, { psid: 'x', type: 'read' })).rejects.toThrow(/400/);
    await expect(emu.control.request('POST', `pages/${pageId}/receipts`, { psid: '1234567', type: 'read' })).rejects.toThrow(/404/);
  });
});
