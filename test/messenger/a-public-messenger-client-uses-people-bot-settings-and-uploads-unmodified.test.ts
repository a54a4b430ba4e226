/**
 * messaging-api-messenger (a public Node Messenger client, a devDependency) against the emulator,
 * changed in nothing but its `origin`: its User Profile, Messenger Profile and Attachment Upload
 * calls get the answers Facebook gives.
 */
import { MessengerClient } from 'messaging-api-messenger';
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

async function setup() {
  const emu = await startTestEmulator();
  const pageId = emu.users[0]!.pages[0]!.id;
  const long = await longLivedToken(emu);
  const accessToken = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${long}`)).json.access_token as string;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  const client = new MessengerClient({ accessToken, appSecret: emu.appSecret, origin: emu.url, version: '25.0' });
  return { emu, pageId, psid, client };
}

describe('messaging-api-messenger, unmodified but for its origin', () => {
  it('getUserProfile reads the name and picture of a person who wrote to the Page', async () => {
    const { emu, pageId, psid, client } = await setup();
    await emu.control.setPerson(pageId, psid, { first_name: 'Katherine', last_name: 'Johnson' });
    const person = await client.getUserProfile(psid);
    expect(person).toMatchObject({ id: psid, name: 'Katherine Johnson', firstName: 'Katherine', lastName: 'Johnson' });
    expect(person?.profilePic).toMatch(/^https:\/\//);
    await expect(client.getUserProfile('1234567890123456')).rejects.toThrow(/Unsupported get request/);
  });

  it('sets and reads the Get Started button, greeting, persistent menu and ice breakers, and deletes them', async () => {
    const { emu, pageId, client } = await setup();
    await client.setGetStarted('START');
    await client.setGreeting('Hello {{user_first_name}}');
    await client.setPersistentMenu([{ type: 'postback', title: 'Help', payload: 'HELP' }]);
    await client.setIceBreakers([{ question: 'Where are you?', payload: 'WHERE' }]);
    expect(await client.getGetStarted()).toEqual({ payload: 'START' });
    expect(await client.getGreeting()).toEqual([{ locale: 'default', text: 'Hello {{user_first_name}}' }]);
    expect((await client.getPersistentMenu())?.[0]).toMatchObject({ locale: 'default', callToActions: [{ type: 'postback', title: 'Help', payload: 'HELP' }] });
    expect(await client.getIceBreakers()).toEqual([{ question: 'Where are you?', payload: 'WHERE' }]);
    await client.deleteGreeting();
    expect(await client.getGreeting()).toBeNull();
    expect(Object.keys((await emu.control.messengerProfile(pageId)).profile).sort()).toEqual(['get_started', 'ice_breakers', 'persistent_menu']);
    // The eleventh call in ten minutes is refused, as Facebook limits the Messenger Profile API.
    await expect(client.getGreeting()).rejects.toThrow(/rate limit/);
  });

  it('uploadAttachment by URL and from a Buffer (multipart) answers reusable attachment ids', async () => {
    const { emu, pageId, psid, client } = await setup();
    const byUrl = await client.uploadImage('https://cdn.example.com/a.jpg', { isReusable: true });
    const byFile = await client.uploadImage(Buffer.from('GIF89a-emulated-bytes'), { filename: 'a.gif', isReusable: true });
    expect(byUrl.attachmentId).toMatch(/^\d+$/);
    expect(byFile.attachmentId).toMatch(/^\d+$/);
    const uploads = await emu.control.attachments(pageId);
    expect(uploads.map((u) => [u.url, u.file?.filename ?? null])).toEqual([
      ['https://cdn.example.com/a.jpg', null],
      [null, 'a.gif'],
    ]);
    const sent = await client.sendImage(psid, { attachmentId: byFile.attachmentId });
    expect(sent.messageId).toMatch(/^m_/);
  });
});
