/**
 * messaging-api-messenger (the Messenger client under Bottender), unmodified but for its `origin`
 * option, against the emulator. It signs every call with appsecret_proof (batch items too), so the
 * emulator requires proofs here. Token exchange and a first send are in
 * test/emulator/peer-client.test.ts; this file covers the rest of what apps call.
 */
import { MessengerBatch, MessengerClient } from 'messaging-api-messenger';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator;
let userToken: string;
beforeAll(async () => {
  emu = await startTestEmulator({ requireAppsecretProof: true });
  const bare = new MessengerClient({ appId: emu.appId, appSecret: emu.appSecret, origin: emu.url, version: V.slice(1), accessToken: emu.users[0]!.shortLivedToken });
  const exchanged = await bare.axios.get('oauth/access_token', {
    params: { grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: emu.users[0]!.shortLivedToken },
  });
  userToken = exchanged.data.accessToken as string;
});

const clientFor = (accessToken: string) => new MessengerClient({ appId: emu.appId, appSecret: emu.appSecret, origin: emu.url, version: V.slice(1), accessToken });

async function pageClient(pageId: string): Promise<MessengerClient> {
  const accounts = await clientFor(userToken).axios.get('me/accounts', { params: { access_token: userToken, fields: 'id,access_token', limit: 100 } });
  return clientFor((accounts.data.data as { id: string; accessToken: string }[]).find((p) => p.id === pageId)!.accessToken);
}

describe('messaging-api-messenger against the emulator', () => {
  it('reads the Page, sends sender actions and a batch of texts (the top-level token and proof cover every item)', async () => {
    const pageId = emu.users[0]!.pages[0]!.id;
    const client = await pageClient(pageId);
    expect(await client.getPageInfo()).toEqual({ name: emu.users[0]!.pages[0]!.name, id: pageId });

    const a = await emu.control.inbound(pageId, { text: 'first customer' });
    const b = await emu.control.inbound(pageId, { text: 'second customer' });
    expect(await client.typingOn(a.psid)).toEqual({ recipientId: a.psid });
    expect(await client.markSeen(a.psid)).toEqual({ recipientId: a.psid });

    const results = await client.sendBatch([MessengerBatch.sendText(a.psid, 'hello A', { messagingType: 'RESPONSE' }), MessengerBatch.sendText(b.psid, 'hello B', { messagingType: 'RESPONSE' })]);
    expect(results.map((r) => r.code)).toEqual([200, 200]);
    expect(results.map((r) => r.body.recipientId)).toEqual([a.psid, b.psid]);
    const texts = (await emu.control.sentMessages(pageId)).map((m) => [m.recipientId, (m.message as { text?: string } | undefined)?.text]);
    expect(texts.filter(([, text]) => /^hello [AB]$/.test(String(text)))).toEqual([
      [a.psid, 'hello A'],
      [b.psid, 'hello B'],
    ]);
  });

  it('a batch item for a PSID the Page never met fails on its own with 2018001; the other item is sent', async () => {
    const pageId = emu.users[0]!.pages[0]!.id;
    const client = await pageClient(pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hi' });
    const results = await client.sendBatch([MessengerBatch.sendText('1234567890123456', 'nobody', { messagingType: 'RESPONSE' }), MessengerBatch.sendText(psid, 'somebody', { messagingType: 'RESPONSE' })]);
    expect(results[0]).toMatchObject({ code: 400, body: { error: { code: 100, errorSubcode: 2018001 } } });
    expect(results[1]).toMatchObject({ code: 200, body: { recipientId: psid } });
  });

  it('a send with a wrong appsecret_proof is refused (the emulator checks the proofs the library computes)', async () => {
    const pageId = emu.users[0]!.pages[0]!.id;
    const good = await pageClient(pageId);
    const forged = new MessengerClient({ appId: emu.appId, appSecret: 'not-the-app-secret', origin: emu.url, version: V.slice(1), accessToken: good.accessToken });
    const { psid } = await emu.control.inbound(pageId, { text: 'hi' });
    await expect(forged.sendText(psid, 'forged')).rejects.toThrow(/appsecret_proof/);
  });
});

// The emulator's User Profile, Messenger Profile and Attachment Upload APIs (docs/emulator.md "User Profile, Messenger Profile and attachment upload").
describe('messaging-api-messenger with the User Profile, Messenger Profile and attachment upload APIs', () => {
  it('getUserProfile answers the name and picture of a person who wrote to the Page', async () => {
    const pageId = emu.users[0]!.pages[1]!.id;
    const client = await pageClient(pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    await emu.control.request('PUT', `pages/${pageId}/people/${psid}`, { first_name: 'Grace', last_name: 'Hopper', profile_pic: 'https://example.com/grace.jpg' });
    expect(await client.getUserProfile(psid, { fields: ['first_name', 'last_name', 'profile_pic'] })).toEqual({ firstName: 'Grace', lastName: 'Hopper', profilePic: 'https://example.com/grace.jpg', id: psid });
  });

  it('sets the get started button and greeting, reads them back and deletes them', async () => {
    const pageId = emu.users[0]!.pages[1]!.id;
    const client = await pageClient(pageId);
    await client.setGetStarted('GET_STARTED');
    await client.setGreeting('Hello {{user_first_name}}!');
    expect(await client.getMessengerProfile(['get_started', 'greeting'])).toEqual([{ getStarted: { payload: 'GET_STARTED' }, greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }] }]);
    await client.deleteMessengerProfile(['greeting', 'get_started']);
    expect(await client.getMessengerProfile(['get_started', 'greeting'])).toEqual([]);
  });

  it('uploads an image by URL and from a Buffer (multipart), then sends by attachment_id', async () => {
    const pageId = emu.users[0]!.pages[2]!.id;
    const client = await pageClient(pageId);
    const byUrl = await client.uploadImage('https://example.com/cat.png', { isReusable: true });
    expect(byUrl).toEqual({ attachmentId: expect.stringMatching(/^\d+$/) });
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const byFile = await client.uploadImage(png, { isReusable: true, filename: 'cat.png' });
    expect(byFile).toEqual({ attachmentId: expect.stringMatching(/^\d+$/) });
    expect(byFile.attachmentId).not.toBe(byUrl.attachmentId);

    const { psid } = await emu.control.inbound(pageId, { text: 'send me a cat' });
    const sent = await client.sendImage(psid, { attachmentId: byFile.attachmentId }, { messagingType: 'RESPONSE' });
    expect(sent).toEqual({ recipientId: psid, messageId: expect.stringMatching(/^m_/) });
    expect((await emu.control.sentMessages(pageId)).at(-1)).toMatchObject({ messageId: sent.messageId, message: { attachment: { type: 'image', payload: { attachment_id: byFile.attachmentId } } } });
  });
});
