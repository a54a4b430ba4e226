/**
 * `method=GET|POST|DELETE` runs a request as that method whatever verb carried it: in a POST body,
 * as the PHP SDK sends every call, or in the query of a GET, as browsers and old SDKs did.
 */
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, pageTokens, startTestEmulator } from '../helpers/emulator.js';

describe('the method parameter', () => {
  it('POST /me and /me/accounts with method=GET in the body answer as the GETs do', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const me = await graph(emu, `${V}/me`, { form: { method: 'GET', access_token: token, fields: 'id,name' } });
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ id: emu.users[0]!.id, name: expect.any(String) });

    const viaGet = await graph(emu, `${V}/me/accounts?access_token=${token}&fields=id,name`);
    const viaPost = await graph(emu, `${V}/me/accounts`, { body: { method: 'get', access_token: token, fields: 'id,name' } });
    expect(viaPost.status).toBe(200);
    expect(viaPost.json.data).toEqual(viaGet.json.data);
    expect(viaPost.json.data).toHaveLength(3);
  });

  it('method=DELETE in a POST body removes a permission, and ?method=delete on a GET does too', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const granted = async () => ((await graph(emu, `${V}/me/permissions?access_token=${token}`)).json.data as { permission: string }[]).map((p) => p.permission);
    expect(await granted()).toEqual(expect.arrayContaining(['pages_messaging', 'pages_show_list']));

    const posted = await graph(emu, `${V}/me/permissions/pages_messaging`, { form: { method: 'DELETE', access_token: token } });
    expect(posted.json).toEqual({ success: true });
    expect(await granted()).not.toContain('pages_messaging');

    const got = await graph(emu, `${V}/me/permissions/pages_show_list?method=delete&access_token=${token}`);
    expect(got.json).toEqual({ success: true });
    expect(await granted()).not.toContain('pages_show_list');
  });

  it('GET with ?method=post subscribes a Page, and POST with method=DELETE unsubscribes it', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const pageToken = (await pageTokens(emu, await longLivedToken(emu))).get(pageId)!;
    const subscribed = await graph(emu, `${V}/${pageId}/subscribed_apps?method=post&subscribed_fields=messages&access_token=${pageToken}`);
    expect(subscribed.json).toEqual({ success: true });
    const listed = await graph(emu, `${V}/${pageId}/subscribed_apps?access_token=${pageToken}`);
    expect(listed.json.data[0].subscribed_fields).toEqual(['messages']);

    const removed = await graph(emu, `${V}/${pageId}/subscribed_apps`, { form: { method: 'DELETE', access_token: pageToken } });
    expect(removed.json).toMatchObject({ success: true });
    expect((await graph(emu, `${V}/${pageId}/subscribed_apps?access_token=${pageToken}`)).json.data).toEqual([]);
  });

  it('an unknown method value is refused with code 100 naming the allowed ones, and nothing runs', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const r = await graph(emu, `${V}/me/permissions/pages_messaging`, { form: { method: 'PUT', access_token: token } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, type: 'OAuthException', message: expect.stringMatching(/GET, POST or DELETE/) });
    const perms = (await graph(emu, `${V}/me/permissions?access_token=${token}`)).json.data as { permission: string }[];
    expect(perms.map((p) => p.permission)).toContain('pages_messaging');
  });

  it('without a method parameter a POST stays a POST (a plain POST /me is still unsupported)', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const r = await graph(emu, `${V}/me/accounts`, { form: { access_token: token } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(2500);
  });
});
