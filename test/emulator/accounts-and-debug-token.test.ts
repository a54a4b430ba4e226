import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

describe('/me/accounts, pages, businesses and debug_token', () => {
  it('pages through 65 pages 25 at a time with absolute next URLs on the emulator origin, previous absent on the first page', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Many', pages: Array.from({ length: 65 }, (_, i) => ({ name: `P${i}` })) });
    let r = await graph(emu, `${V}/me/accounts?access_token=${user.shortLivedToken}`);
    expect(r.json.data).toHaveLength(25);
    expect(r.json.paging.previous).toBeUndefined();
    expect(Object.keys(r.json.data[0])).toEqual(['access_token', 'category', 'category_list', 'name', 'id', 'tasks']);
    const seen: string[] = r.json.data.map((p: { id: string }) => p.id);
    const sizes = [25];
    while (r.json.paging?.next) {
      expect(r.json.paging.next.startsWith(`${emu.url}/${V}/me/accounts?`)).toBe(true);
      r = await graph(emu, r.json.paging.next.slice(emu.url.length));
      expect(r.json.paging.previous).toEqual(expect.any(String));
      sizes.push(r.json.data.length);
      seen.push(...r.json.data.map((p: { id: string }) => p.id));
    }
    expect(sizes).toEqual([25, 25, 15]);
    expect(new Set(seen).size).toBe(65);
    expect(seen).toEqual(user.pages.map((p) => p.id));
  });

  it('honours fields and limit (capped at 100)', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Many', pages: Array.from({ length: 120 }, (_, i) => ({ name: `P${i}` })) });
    const r = await graph(emu, `${V}/me/accounts?access_token=${user.shortLivedToken}&fields=name,access_token&limit=500`);
    expect(r.json.data).toHaveLength(100);
    expect(Object.keys(r.json.data[0])).toEqual(['name', 'access_token', 'id']);
    expect(new URL(r.json.paging.next).searchParams.get('limit')).toBe('100');
  });

  it('GET /{page-id}?fields=access_token answers {access_token, id}', async () => {
    const emu = await startTestEmulator();
    const page = emu.users[0]!.pages[0]!;
    const r = await graph(emu, `${V}/${page.id}?fields=access_token&access_token=${emu.users[0]!.shortLivedToken}`);
    expect(Object.keys(r.json)).toEqual(['access_token', 'id']);
    expect(r.json.id).toBe(page.id);
    expect(r.json.access_token).toMatch(/^EAA/);
  });

  it('two admins of one page get two different page tokens', async () => {
    const emu = await startTestEmulator();
    const page = emu.users[0]!.pages[0]!;
    const other = await emu.control.createUser({ name: 'Second Admin', pages: [{ id: page.id, tasks: ['MESSAGING'] }] });
    expect(other.pages).toEqual([{ id: page.id, name: page.name, tasks: ['MESSAGING'] }]);
    const a = await graph(emu, `${V}/${page.id}?fields=access_token&access_token=${emu.users[0]!.shortLivedToken}`);
    const b = await graph(emu, `${V}/${page.id}?fields=access_token&access_token=${other.shortLivedToken}`);
    expect(a.json.access_token).not.toBe(b.json.access_token);
  });

  it('business pages are reached through /me/businesses and owned_pages/client_pages, not /me/accounts', async () => {
    const emu = await startTestEmulator();
    const u = await emu.control.createUser({ name: 'Agency', pages: [], businessPages: [{ name: 'Owned One' }, { name: 'Client One', relation: 'client' }] });
    expect((await graph(emu, `${V}/me/accounts?access_token=${u.shortLivedToken}`)).json.data).toEqual([]);
    const b = await graph(emu, `${V}/me/businesses?access_token=${u.shortLivedToken}`);
    expect(b.json.data).toHaveLength(1);
    const bid = b.json.data[0].id;
    const owned = await graph(emu, `${V}/${bid}/owned_pages?access_token=${u.shortLivedToken}&fields=id,name,access_token`);
    expect(owned.json.data.map((p: { name: string }) => p.name)).toEqual(['Owned One']);
    expect(owned.json.data[0].access_token).toMatch(/^EAA/);
    const client = await graph(emu, `${V}/${bid}/client_pages?access_token=${u.shortLivedToken}`);
    expect(client.json.data.map((p: { name: string }) => p.name)).toEqual(['Client One']);
  });

  it('debug_token describes user, page and app tokens in Facebook\'s shapes', async () => {
    const emu = await startTestEmulator();
    const app = `${emu.appId}|${emu.appSecret}`;
    const long = await longLivedToken(emu);
    const now = (await emu.control.advanceClock(0)).now;
    const user = (await graph(emu, `${V}/debug_token?input_token=${long}&access_token=${app}`)).json.data;
    expect(user).toMatchObject({ app_id: emu.appId, type: 'USER', application: 'Pagekeeper Emulated App', is_valid: true, user_id: emu.users[0]!.id });
    expect(user.expires_at).toBeGreaterThanOrEqual(now + 5_184_000 - 5);
    expect(user.data_access_expires_at).toBeGreaterThanOrEqual(now + 90 * 86400 - 5);
    expect(user.scopes).toEqual(['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'pages_read_engagement', 'business_management']);
    expect(user.granular_scopes).toContainEqual({ scope: 'pages_show_list' });
    expect(user.profile_id).toBeUndefined();
    const pageToken = (await graph(emu, `${V}/me/accounts?access_token=${long}`)).json.data[0];
    const page = (await graph(emu, `${V}/debug_token?input_token=${pageToken.access_token}&access_token=${app}`)).json.data;
    expect(page).toMatchObject({ type: 'PAGE', expires_at: 0, is_valid: true, profile_id: pageToken.id, user_id: emu.users[0]!.id });
    expect(page.granular_scopes).toContainEqual({ scope: 'pages_messaging', target_ids: [pageToken.id] });
    const appInfo = await graph(emu, `${V}/debug_token?input_token=${app}&access_token=${app}`);
    expect(appInfo.json).toEqual({ data: { app_id: emu.appId, type: 'APP', application: 'Pagekeeper Emulated App', is_valid: true, scopes: [] } });
  });

  it('debug_token: data access lapses 90 days after the last activity; a new login renews it', async () => {
    const emu = await startTestEmulator();
    const app = `${emu.appId}|${emu.appSecret}`;
    const long = await longLivedToken(emu);
    const before = (await graph(emu, `${V}/debug_token?input_token=${long}&access_token=${app}`)).json.data.data_access_expires_at;
    await emu.control.advanceClock(30 * 86400);
    await emu.control.shortLivedToken(emu.users[0]!.id);
    const after = (await graph(emu, `${V}/debug_token?input_token=${long}&access_token=${app}`)).json.data.data_access_expires_at;
    expect(after - before).toBeGreaterThanOrEqual(30 * 86400 - 2);
  });

  it('debug_token: garbage is HTTP 200 with the error in data; no app token is a top-level 100', async () => {
    const emu = await startTestEmulator();
    const r = await graph(emu, `${V}/debug_token?input_token=garbage&access_token=${emu.appId}|${emu.appSecret}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ data: { error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, is_valid: false, scopes: [] } });
    const none = await graph(emu, `${V}/debug_token?input_token=garbage`);
    expect(none.status).toBe(400);
    expect(none.json.error).toMatchObject({
      code: 100,
      message: '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
    });
  });

  it('an expired token: debug_token says is_valid false with subcode 463 inside data', async () => {
    const emu = await startTestEmulator();
    await emu.control.advanceClock(3700);
    const r = await graph(emu, `${V}/debug_token?input_token=${emu.users[0]!.shortLivedToken}&access_token=${emu.appId}|${emu.appSecret}`);
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ is_valid: false, type: 'USER', error: { code: 190, subcode: 463 } });
    expect(r.json.data.error.error_subcode).toBeUndefined();
  });

  it('the token is read from the query, a form or JSON body, and Bearer/OAuth headers', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    expect((await graph(emu, `${V}/me`, { headers: { authorization: `Bearer ${t}` } })).json.id).toBe(emu.users[0]!.id);
    expect((await graph(emu, `${V}/me`, { headers: { authorization: `OAuth ${t}` } })).json.id).toBe(emu.users[0]!.id);
    expect((await graph(emu, 'me', { headers: { authorization: `Bearer ${t}` } })).headers.get('facebook-api-version')).toBe(V);
    const proof = createHmac('sha256', emu.appSecret).update(t).digest('hex');
    expect((await graph(emu, `v20.0/me?access_token=${t}&appsecret_proof=${proof}`)).headers.get('facebook-api-version')).toBe('v21.0');
  });
});
