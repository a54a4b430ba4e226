import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

async function setup() {
  const h = await startService();
  const [pageId] = await h.connectFirstUser();
  const { psid } = await h.emu.control.inbound(pageId!, { text: 'hi' });
  const reader = await h.key(['pages:read']);
  const writer = await h.key(['messages:write', 'pages:read']);
  const call = (key: string, method: 'GET' | 'PUT', url: string, payload?: unknown) =>
    h.server.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { ...h, pageId: pageId!, psid, reader, writer, call };
}

describe('GET /v1/pages/{id}/people/{psid}', () => {
  it('answers the name and picture, not for shared caches', async () => {
    const { emu, pageId, psid, reader, call } = await setup();
    await emu.control.setPerson(pageId, psid, { first_name: 'Grace', last_name: 'Hopper' });
    const r = await call(reader, 'GET', `/v1/pages/${pageId}/people/${psid}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ pageId, psid, name: 'Grace Hopper', firstName: 'Grace', lastName: 'Hopper' });
    expect(r.json().profilePic).toMatch(/^https:\/\//);
    expect(r.headers['cache-control']).toBe('private, no-store');
  });

  it('404 PK_PERSON_NOT_FOUND for someone who never wrote, 400 for a malformed PSID, 404 for a Page not connected', async () => {
    const { pageId, reader, call } = await setup();
    const unknown = await call(reader, 'GET', `/v1/pages/${pageId}/people/1234567890123456`);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'PK_PERSON_NOT_FOUND']);
    const bad = await call(reader, 'GET', `/v1/pages/${pageId}/people/..%2Fme`);
    expect(bad.statusCode).toBe(400);
    const other = await call(reader, 'GET', `/v1/pages/999999999999999/people/1234567890123456`);
    expect([other.statusCode, other.json().error.code]).toEqual([404, 'PK_PAGE_NOT_FOUND']);
  });
});

describe('GET/PUT /v1/pages/{id}/messenger-profile', () => {
  it('sets properties, deletes one with null, and reads them back', async () => {
    const { emu, pageId, writer, call } = await setup();
    const put = await call(writer, 'PUT', `/v1/pages/${pageId}/messenger-profile`, {
      get_started: { payload: 'START' },
      greeting: [{ locale: 'default', text: 'Welcome!' }],
      ice_breakers: [{ question: 'Opening hours?', payload: 'HOURS' }],
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ pageId, set: ['get_started', 'greeting', 'ice_breakers'], deleted: [] });
    const del = await call(writer, 'PUT', `/v1/pages/${pageId}/messenger-profile`, { greeting: null });
    expect(del.json()).toEqual({ pageId, set: [], deleted: ['greeting'] });
    const got = await call(writer, 'GET', `/v1/pages/${pageId}/messenger-profile`);
    expect(got.json()).toEqual({ pageId, profile: { get_started: { payload: 'START' }, ice_breakers: [{ question: 'Opening hours?', payload: 'HOURS' }] } });
    expect((await emu.control.messengerProfile(pageId)).profile).toEqual({ get_started: { payload: 'START' }, ice_breakers: [{ question: 'Opening hours?', payload: 'HOURS' }] });
  });

  it('refuses an invalid profile with PK_BOT_PROFILE_INVALID and spends no Messenger Profile call', async () => {
    const { emu, pageId, writer, call } = await setup();
    const r = await call(writer, 'PUT', `/v1/pages/${pageId}/messenger-profile`, { greeting: [{ locale: 'default', text: 'x'.repeat(161) }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('PK_BOT_PROFILE_INVALID');
    expect(r.json().error.message).toContain('greeting[0].text');
    expect((await emu.control.messengerProfile(pageId)).callsInWindow).toBe(0);
  });

  it('PUT needs messages:write', async () => {
    const { pageId, reader, call } = await setup();
    const r = await call(reader, 'PUT', `/v1/pages/${pageId}/messenger-profile`, { get_started: { payload: 'S' } });
    expect(r.statusCode).toBe(403);
  });
});

describe('names beside PSIDs on dashboard pages', () => {
  it('namesOf gives the names known within the wait and never holds a render back for long', async () => {
    const { namesOf } = await import('../../src/service/dashboard/person-names.js');
    const { emu, deps, pageId, psid } = await setup();
    await emu.control.setPerson(pageId, psid, { first_name: 'Alan', last_name: 'Turing' });
    const { psid: slow } = await emu.control.inbound(pageId, { text: 'hello' });
    const rows = [{ pageId, psid }, { pageId, psid }];
    expect(await namesOf(deps.people, rows, { waitMs: 2000 })).toEqual(new Map([[`${pageId}:${psid}`, 'Alan Turing']]));
    await emu.control.setLatency({ ms: 1000 });
    const started = Date.now();
    const names = await namesOf(deps.people, [...rows, { pageId, psid: slow }], { waitMs: 100 });
    expect(Date.now() - started).toBeLessThan(800);
    // The cached name shows at once; the new person only once Facebook answered.
    expect(names.get(`${pageId}:${psid}`)).toBe('Alan Turing');
    expect(names.has(`${pageId}:${slow}`)).toBe(false);
  });
});

describe('POST /v1/pages/{id}/messages by attachment_id', () => {
  it('queues a message that sends an uploaded attachment by its id', async () => {
    const h = await startService({}, { outbox: 'library' });
    const [pageId] = await h.connectFirstUser();
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hi' });
    await h.pk.messenger.recordInbound(pageId!, psid, Date.now());
    const { attachmentId } = await h.pk.page(pageId!).uploadAttachment({ url: 'https://cdn.example.com/price-list.pdf' });
    const key = await h.key(['messages:write']);
    const r = await h.server.app.inject({
      method: 'POST',
      url: `/v1/pages/${pageId}/messages`,
      headers: { authorization: `Bearer ${key}` },
      payload: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'file', payload: { attachment_id: attachmentId } } } },
    });
    expect(r.statusCode).toBe(202);
    const worker = h.pk.messenger.startWorker({ pollMs: 20 });
    try {
      await expect.poll(async () => (await h.pk.messenger.get(r.json().id))?.status, { timeout: 10_000 }).toBe('sent');
    } finally {
      await worker.stop();
    }
    expect((await h.emu.control.sentMessages(pageId!)).map((m) => m.message)).toEqual([{ attachment: { type: 'file', payload: { attachment_id: attachmentId } } }]);
    expect((await h.emu.control.attachments(pageId!))[0]).toMatchObject({ id: attachmentId, type: 'file' });
  });
});
