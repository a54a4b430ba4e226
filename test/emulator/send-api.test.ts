import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

async function setup() {
  const emu = await startTestEmulator();
  const pageId = emu.users[0]!.pages[0]!.id;
  const long = await longLivedToken(emu);
  const token = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${long}`)).json.access_token as string;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  const send = (body: Record<string, unknown>, path = `${pageId}/messages`) => graph(emu, `${V}/${path}?access_token=${token}`, { body });
  return { emu, pageId, token, psid, send, long };
}

describe('Messenger Send API', () => {
  it('sends text, attachments, quick replies and sender actions and records them for /_emulator/pages/{id}/messages', async () => {
    const { emu, pageId, psid, send } = await setup();
    const text = await send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
    expect(text.status).toBe(200);
    expect(Object.keys(text.json)).toEqual(['recipient_id', 'message_id']);
    expect(text.json.recipient_id).toBe(psid);
    expect(text.json.message_id).toMatch(/^m_/);
    const att = await send({ recipient: { id: psid }, messaging_type: 'UPDATE', message: { attachment: { type: 'image', payload: { url: 'https://example.com/a.png' } } } }, 'me/messages');
    expect(att.status).toBe(200);
    const qr = await send({ recipient: { id: psid }, message: { text: 'pick', quick_replies: [{ content_type: 'text', title: 'A', payload: 'A' }] } });
    expect(qr.status).toBe(200);
    const action = await send({ recipient: { id: psid }, sender_action: 'typing_on' });
    expect(action.json).toEqual({ recipient_id: psid });
    expect(text.headers.get('x-business-use-case-usage')).toContain('"type":"messenger"');
    const sent = await emu.control.sentMessages(pageId);
    expect(sent.map((m) => m.messagingType)).toEqual(['RESPONSE', 'UPDATE', 'RESPONSE', 'RESPONSE']);
    expect(sent[0]).toMatchObject({ messageId: text.json.message_id, recipientId: psid, tag: null, message: { text: 'hi' } });
    expect(sent[3]).toMatchObject({ senderAction: 'typing_on', message: null });
  });

  it('accepts a form body with JSON-text parameters, as Facebook does', async () => {
    const { emu, pageId, token, psid } = await setup();
    const r = await graph(emu, `${V}/${pageId}/messages`, {
      form: { access_token: token, recipient: JSON.stringify({ id: psid }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'form' }) },
    });
    expect(r.status).toBe(200);
  });

  it('an unknown PSID is 100/2018001 "No matching user found"', async () => {
    const { send } = await setup();
    const r = await send({ recipient: { id: '1234567890123456' }, messaging_type: 'RESPONSE', message: { text: 'x' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, error_subcode: 2018001, message: '(#100) No matching user found', type: 'OAuthException' });
  });

  it('RESPONSE and UPDATE only within 24 h of the last inbound message; HUMAN_AGENT up to 7 days', async () => {
    const { emu, psid, pageId, send } = await setup();
    await emu.control.advanceClock(24 * 3600 + 5);
    for (const messaging_type of ['RESPONSE', 'UPDATE']) {
      const r = await send({ recipient: { id: psid }, messaging_type, message: { text: 'late' } });
      expect(r.json.error).toMatchObject({ code: 10, error_subcode: 2018278 });
      expect(r.json.error.message).toMatch(/^\(#10\) This message is sent outside of allowed window/);
    }
    const agent = await send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'agent' } });
    expect(agent.status).toBe(200);
    await emu.control.advanceClock(6 * 86400);
    expect((await send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'late agent' } })).json.error).toMatchObject({
      code: 10,
      error_subcode: 2018278,
    });
    await emu.control.inbound(pageId, { psid, text: 'back again' });
    expect((await send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'welcome back' } })).status).toBe(200);
  });

  it('MESSAGE_TAG needs a valid tag; the tags deprecated on 2026-04-27 answer code 100', async () => {
    const { psid, send } = await setup();
    expect((await send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', message: { text: 'x' } })).json.error.code).toBe(100);
    expect((await send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag: 'MADE_UP', message: { text: 'x' } })).json.error.code).toBe(100);
    for (const tag of ['CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'POST_PURCHASE_UPDATE']) {
      const r = await send({ recipient: { id: psid }, messaging_type: 'MESSAGE_TAG', tag, message: { text: 'x' } });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe(100);
    }
  });

  it('refuses malformed messages and user tokens', async () => {
    const { emu, pageId, psid, send, long } = await setup();
    expect((await send({ message: { text: 'x' } })).json.error.code).toBe(100);
    expect((await send({ recipient: { id: psid } })).json.error.code).toBe(100);
    expect((await send({ recipient: { id: psid }, message: { text: 'x'.repeat(2001) } })).json.error.code).toBe(100);
    expect((await send({ recipient: { id: psid }, sender_action: 'dance' })).json.error.code).toBe(100);
    expect((await send({ recipient: { id: psid }, messaging_type: 'SOMETIMES', message: { text: 'x' } })).json.error.code).toBe(100);
    const withUser = await graph(emu, `${V}/${pageId}/messages?access_token=${long}`, { body: { recipient: { id: psid }, message: { text: 'x' } } });
    expect(withUser.json.error).toMatchObject({ code: 210 });
  });

  it('keeps only the last 10,000 sent messages per page', async () => {
    const { emu, pageId, token, psid } = await setup();
    await emu.control.setLimits({ enabled: false });
    const item = { method: 'POST', relative_url: `${pageId}/messages`, body: new URLSearchParams({ recipient: JSON.stringify({ id: psid }), message: '{"text":"bulk"}' }).toString() };
    const batch = JSON.stringify(Array.from({ length: 50 }, () => item));
    for (let i = 0; i < 201; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => graph(emu, `${V}/`, { form: { access_token: token, batch, include_headers: 'false' } })));
    }
    const sent = await emu.control.sentMessages(pageId);
    expect(sent).toHaveLength(10_000);
    expect(sent[sent.length - 1]!.message).toEqual({ text: 'bulk' });
  });
});
