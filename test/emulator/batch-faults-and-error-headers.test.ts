import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, startTestEmulator } from '../helpers/emulator.js';

describe('faults inside batch items', () => {
  it('hit only the matching items, as if each were sent alone; reset and timeout leave the item null', async () => {
    const emu = await startTestEmulator();
    const app = `${emu.appId}|${emu.appSecret}`;
    const t = emu.users[0]!.shortLivedToken;
    const batch = [
      { method: 'GET', relative_url: `debug_token?input_token=${t}` },
      { method: 'GET', relative_url: `me?access_token=${t}` },
      { method: 'GET', relative_url: `${V}/me/accounts?access_token=${t}` },
      { method: 'GET', relative_url: `me/permissions?access_token=${t}` },
    ];
    await emu.control.addFault({ match: '/debug_token', kind: 'transient', count: 1 });
    await emu.control.addFault({ match: '/me/accounts', kind: 'timeout', count: 1 });
    await emu.control.addFault({ match: '/me/permissions', kind: 'html502', count: 1 });
    const r = await graph(emu, `${V}/`, { form: { access_token: app, batch: JSON.stringify(batch) } });
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(4);
    expect(r.json[0].code).toBe(500);
    expect(JSON.parse(r.json[0].body).error).toMatchObject({ code: 2, is_transient: true, fbtrace_id: expect.any(String) });
    expect(r.json[1].code).toBe(200);
    expect(r.json[2]).toBeNull();
    expect(r.json[3].code).toBe(502);
    expect(r.json[3].body).toMatch(/^<!DOCTYPE html>/);
    // count: 1 each, so the same batch now succeeds.
    const again = await graph(emu, `${V}/`, { form: { access_token: app, batch: JSON.stringify(batch) } });
    expect(again.json.map((i: { code: number }) => i.code)).toEqual([200, 200, 200, 200]);
  });
});

describe('batch limits', () => {
  it('more than 50 items: GraphBatchException "Too many requests in batch message. Maximum batch size is 50"', async () => {
    const emu = await startTestEmulator();
    const items = Array.from({ length: 51 }, () => ({ method: 'GET', relative_url: 'me' }));
    const r = await graph(emu, `${V}/`, { form: { access_token: emu.users[0]!.shortLivedToken, batch: JSON.stringify(items) } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'GraphBatchException', message: 'Too many requests in batch message. Maximum batch size is 50', fbtrace_id: expect.any(String) });
    expect(r.headers.get('facebook-api-version')).toBe(V);
    expect(r.headers.get('www-authenticate')).toBeNull();
  });
});

describe('every Graph error carries fbtrace_id and Facebook-API-Version; OAuth errors WWW-Authenticate', () => {
  it.each([
    ['no token on /me (2500)', (u: string) => graph({ url: u }, `${V}/me`), 'invalid_request'],
    ['garbage token (190)', (u: string) => graph({ url: u }, `${V}/me?access_token=nonsense`), 'invalid_token'],
    ['unknown path (2500)', (u: string) => graph({ url: u }, `${V}/nothing/here?access_token=nonsense2`), 'invalid_request'],
    ['unparsable JSON body', (u: string) => graph({ url: u }, `${V}/me/messages`, { body: '{"recipient":', headers: { 'content-type': 'application/json' } }), 'invalid_request'],
  ])('%s', async (_name, call, kind) => {
    const emu = await startTestEmulator();
    const r = await call(emu.url);
    expect(r.status).toBe(400);
    expect(r.headers.get('facebook-api-version')).toBe(V);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json.error.fbtrace_id).toMatch(/^[A-Za-z0-9]{11}$/);
    expect(r.json.error.type).toBe('OAuthException');
    expect(r.headers.get('www-authenticate')).toBe(`OAuth "Facebook Platform" "${kind}" "${r.json.error.message}"`);
  });

  it('the version header names the version that served an old or unversioned request', async () => {
    const emu = await startTestEmulator();
    expect((await graph(emu, 'v2.0/me')).headers.get('facebook-api-version')).toBe('v21.0');
    expect((await graph(emu, 'me')).headers.get('facebook-api-version')).toBe(V);
    expect((await graph(emu, 'v2.0/me', { body: '{', headers: { 'content-type': 'application/json' } })).headers.get('facebook-api-version')).toBe('v21.0');
  });

  it('injected JSON faults are Graph errors too, with every header', async () => {
    const emu = await startTestEmulator();
    await emu.control.addFault({ match: '/me', kind: 'http503', count: 1 });
    const r = await graph(emu, `${V}/me`);
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 2, message: 'Service temporarily unavailable', is_transient: true, fbtrace_id: expect.any(String) });
    expect(r.headers.get('facebook-api-version')).toBe(V);
    expect(r.headers.get('www-authenticate')).toBe('OAuth "Facebook Platform" "invalid_request" "Service temporarily unavailable"');
  });

  it('the control API does not pretend to be Facebook: no version header', async () => {
    const emu = await startTestEmulator();
    const r = await fetch(`${emu.url}/_emulator/stats`);
    expect(r.headers.get('facebook-api-version')).toBeNull();
  });
});
