import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

async function setup(scopes?: string[]) {
  const emu = await startTestEmulator();
  const user = emu.users[0]!;
  const pageId = user.pages[0]!.id;
  const userToken = scopes ? (await emu.control.shortLivedToken(user.id, scopes)).accessToken : await longLivedToken(emu);
  const token = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${userToken}`)).json.access_token as string;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  return { emu, pageId, token, psid };
}

describe('User Profile API', () => {
  it('answers the name and picture of a person who wrote to the Page, with its Page token', async () => {
    const { emu, pageId, token, psid } = await setup();
    await emu.control.setPerson(pageId, psid, { first_name: 'Ada', last_name: 'Lovelace' });
    const r = await graph(emu, `${V}/${psid}?fields=first_name,last_name,profile_pic&access_token=${token}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', id: psid });
    expect(r.json.profile_pic).toMatch(/^https:\/\//);
  });

  it('leaves out locale, timezone and gender without their pages_user_* permission', async () => {
    const { emu, token, psid } = await setup();
    const r = await graph(emu, `${V}/${psid}?fields=first_name,locale,timezone,gender&access_token=${token}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['first_name', 'id']);
  });

  it('refuses a token without pages_messaging with (#230)', async () => {
    const { emu, token, psid } = await setup(['pages_show_list', 'pages_manage_metadata']);
    const r = await graph(emu, `${V}/${psid}?fields=first_name&access_token=${token}`);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 230, type: 'OAuthException' });
  });

  it('an unknown PSID, or one of another Page, is 100/33 "Unsupported get request"', async () => {
    const { emu, token } = await setup();
    const other = emu.users[0]!.pages[1]!.id;
    const { psid: elsewhere } = await emu.control.inbound(other, { text: 'hi' });
    for (const id of ['1234567890123456', elsewhere]) {
      const r = await graph(emu, `${V}/${id}?fields=first_name&access_token=${token}`);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(r.json.error.message).toContain(`Unsupported get request. Object with ID '${id}'`);
    }
  });

  it('a person without a profile is 100/2018218', async () => {
    const { emu, pageId, token, psid } = await setup();
    await emu.control.setPerson(pageId, psid, { available: false });
    const r = await graph(emu, `${V}/${psid}?fields=first_name&access_token=${token}`);
    expect(r.json.error).toMatchObject({ code: 100, error_subcode: 2018218, message: '(#100) No profile available for this user.' });
  });
});

describe('Messenger Profile API', () => {
  it('sets, reads and deletes properties; GET answers {data:[...]}', async () => {
    const { emu, token } = await setup();
    const post = await graph(emu, `${V}/me/messenger_profile?access_token=${token}`, {
      body: { get_started: { payload: 'START' }, greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }] },
    });
    expect(post.status).toBe(200);
    expect(post.json).toEqual({ result: 'success' });
    const got = await graph(emu, `${V}/me/messenger_profile?fields=get_started,greeting,ice_breakers&access_token=${token}`);
    expect(got.json).toEqual({ data: [{ get_started: { payload: 'START' }, greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }] }] });
    const del = await graph(emu, `${V}/me/messenger_profile?access_token=${token}`, { method: 'DELETE', body: { fields: ['greeting'] } });
    expect(del.json).toEqual({ result: 'success' });
    const after = await graph(emu, `${V}/me/messenger_profile?fields=greeting&access_token=${token}`);
    expect(after.json).toEqual({ data: [] });
  });

  it("refuses what Facebook refuses: a greeting over 160 characters, more than 20 menu items, a menu without Get Started, 5 ice breakers, an http domain", async () => {
    const { emu, pageId, token } = await setup();
    const post = (body: unknown) => graph(emu, `${V}/me/messenger_profile?access_token=${token}`, { body });
    const button = (i: number) => ({ type: 'postback', title: `Item ${i}`, payload: `P${i}` });
    const greeting = await post({ greeting: [{ locale: 'default', text: 'x'.repeat(161) }] });
    expect(greeting.json.error).toMatchObject({ code: 100 });
    expect(greeting.json.error.message).toContain('greeting[0][text]');
    const noStart = await post({ persistent_menu: [{ locale: 'default', call_to_actions: [button(1)] }] });
    expect(noStart.json.error).toMatchObject({ code: 100, error_subcode: 2018145 });
    const many = await post({ get_started: { payload: 'S' }, persistent_menu: [{ locale: 'default', call_to_actions: Array.from({ length: 21 }, (_, i) => button(i)) }] });
    expect(many.json.error.message).toContain('at most 20');
    const ice = await post({ ice_breakers: Array.from({ length: 5 }, (_, i) => ({ question: `Q${i}?`, payload: `Q${i}` })) });
    expect(ice.json.error.message).toContain('at most 4');
    const domain = await post({ whitelisted_domains: ['http://example.com'] });
    expect(domain.json.error.message).toContain('whitelisted_domains[0]');
    expect((await emu.control.messengerProfile(pageId)).profile).toEqual({});
    // Twenty items with Get Started are fine.
    const ok = await post({ get_started: { payload: 'S' }, persistent_menu: [{ locale: 'default', call_to_actions: Array.from({ length: 20 }, (_, i) => button(i)) }] });
    expect(ok.json).toEqual({ result: 'success' });
  });

  it('allows 10 calls per 10 minutes per Page, then answers a rate-limit error until the window passes', async () => {
    const { emu, token } = await setup();
    const get = () => graph(emu, `${V}/me/messenger_profile?fields=greeting&access_token=${token}`);
    for (let i = 0; i < 10; i++) expect((await get()).status).toBe(200);
    const limited = await get();
    expect(limited.status).toBe(400);
    expect(limited.json.error).toMatchObject({ code: 613 });
    await emu.control.advanceClock(601);
    expect((await get()).status).toBe(200);
  });

  it('needs a Page token with pages_messaging', async () => {
    const { emu, token } = await setup(['pages_show_list', 'pages_manage_metadata']);
    const r = await graph(emu, `${V}/me/messenger_profile?fields=greeting&access_token=${token}`);
    expect(r.json.error).toMatchObject({ code: 230 });
    const long = await longLivedToken(emu);
    const asUser = await graph(emu, `${V}/${emu.users[0]!.pages[0]!.id}/messenger_profile?fields=greeting&access_token=${long}`);
    expect(asUser.json.error).toMatchObject({ code: 210 });
  });
});

describe('Attachment Upload API', () => {
  it('uploads by URL, answers an attachment_id, and the Send API sends by that id', async () => {
    const { emu, pageId, token, psid } = await setup();
    const up = await graph(emu, `${V}/me/message_attachments?access_token=${token}`, {
      body: { message: { attachment: { type: 'image', payload: { url: 'https://example.com/cat.png', is_reusable: true } } } },
    });
    expect(up.status).toBe(200);
    expect(Object.keys(up.json)).toEqual(['attachment_id']);
    expect(up.json.attachment_id).toMatch(/^\d+$/);
    const send = await graph(emu, `${V}/me/messages?access_token=${token}`, {
      body: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'image', payload: { attachment_id: up.json.attachment_id } } } },
    });
    expect(send.status).toBe(200);
    expect((await emu.control.attachments(pageId))[0]).toMatchObject({ id: up.json.attachment_id, type: 'image', url: 'https://example.com/cat.png', reusable: true });
  });

  it('refuses a send by an attachment_id the Page never uploaded', async () => {
    const { emu, token, psid } = await setup();
    const send = await graph(emu, `${V}/me/messages?access_token=${token}`, {
      body: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'image', payload: { attachment_id: '999999999999999' } } } },
    });
    expect(send.status).toBe(400);
    expect(send.json.error).toMatchObject({ code: 100 });
  });
});
