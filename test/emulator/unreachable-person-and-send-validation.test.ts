import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

async function setup() {
  const emu = await startTestEmulator();
  const pageId = emu.users[0]!.pages[0]!.id;
  const long = await longLivedToken(emu);
  const token = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${long}`)).json.access_token as string;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  const send = (body: Record<string, unknown>) => graph(emu, `${V}/${pageId}/messages?access_token=${token}`, { body });
  return { emu, pageId, psid, send, long };
}

describe('a person who blocked the Page', () => {
  it('makes sends answer 551/1545041 until they are reachable again, and nothing is recorded as sent', async () => {
    const { emu, pageId, psid, send } = await setup();
    await emu.control.setAvailable(pageId, psid, false);
    const r = await send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      message: "(#551) This person isn't available right now.",
      type: 'OAuthException',
      code: 551,
      error_subcode: 1545041,
      fbtrace_id: expect.any(String),
    });
    expect(r.headers.get('www-authenticate')).toBe(`OAuth "Facebook Platform" "invalid_request" "(#551) This person isn't available right now."`);
    expect(await emu.control.sentMessages(pageId)).toEqual([]);
    await emu.control.setAvailable(pageId, psid, true);
    expect((await send({ recipient: { id: psid }, message: { text: 'hi again' } })).status).toBe(200);
  });

  it('the control API answers 404 for a PSID that never messaged the page and 400 for a bad body', async () => {
    const { emu, pageId, psid } = await setup();
    await expect(emu.control.setAvailable(pageId, '123456789012345', false)).rejects.toThrow(/404.*inbound/);
    await expect(emu.control.request('POST', `pages/${pageId}/conversations/${psid}`, { available: 'no' })).rejects.toThrow(/400.*available/);
  });
});

describe('Send API validation answers as recorded from Facebook', () => {
  it.each([
    ['no message and no sender_action', {}, 100, 2018015, '(#100) Must send either message or state'],
    ['both message and sender_action', { message: { text: 'x' }, sender_action: 'typing_on' }, 100, undefined, '(#100) Cannot send both message and state at the same time.'],
    ['an empty message', { message: {} }, 100, 2018034, '(#100) Message cannot be empty, must provide valid attachment or text'],
    ['an attachment without type', { message: { attachment: { payload: { url: 'https://x.test/a.png' } } } }, 100, undefined, '(#100) The parameter message[attachment][type] is required'],
    ['an attachment without payload', { message: { attachment: { type: 'image' } } }, 100, undefined, '(#100) The parameter message[attachment][payload] is required'],
    ['empty quick replies', { message: { text: 'x', quick_replies: [] } }, 194, undefined, '(#194) param message[quick_replies] has too few elements.'],
    ['a quick reply without content_type', { message: { text: 'x', quick_replies: [{ title: 'A', payload: 'A' }] } }, 100, undefined, '(#100) The parameter message[quick_replies][0][content_type] is required'],
    ['a text quick reply without title', { message: { text: 'x', quick_replies: [{ content_type: 'text', payload: 'A' }] } }, 100, 2018098, '(#100) Title is required for this quick reply content type'],
    ['a text quick reply without payload', { message: { text: 'x', quick_replies: [{ content_type: 'text', title: 'A' }] } }, 100, 2018099, '(#100) Payload is required for this quick reply content type'],
    ['text over 2000 characters', { message: { text: 'x'.repeat(2001) } }, 100, undefined, '(#100) Length of param message[text] must be less than or equal to 2000'],
  ])('%s', async (_name, extra, code, subcode, message) => {
    const { psid, send } = await setup();
    const r = await send({ recipient: { id: psid }, ...extra });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code, message, type: 'OAuthException' });
    expect(r.json.error.error_subcode).toBe(subcode);
  });

  it('a user token on the Send API: 210; a page token without pages_messaging: 230', async () => {
    const { emu, pageId, psid, long } = await setup();
    const user = await graph(emu, `${V}/${pageId}/messages?access_token=${long}`, { body: { recipient: { id: psid }, message: { text: 'x' } } });
    expect(user.json.error).toMatchObject({ code: 210, message: '(#210) A page access token is required to request this resource.' });
    // A token granted only pages_show_list yields page tokens without pages_messaging.
    const narrow = await emu.control.shortLivedToken(emu.users[0]!.id, ['pages_show_list']);
    const pageToken = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${narrow.accessToken}`)).json.access_token as string;
    const r = await graph(emu, `${V}/${pageId}/messages?access_token=${pageToken}`, { body: { recipient: { id: psid }, message: { text: 'x' } } });
    expect(r.json.error).toMatchObject({ code: 230, message: '(#230) Requires pages_messaging permission' });
  });
});
