import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

const EVENTS = [
  ['password_changed', 460, 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.'],
  ['app_removed', 458, null],
  ['logged_out', 467, 'Error validating access token: The session is invalid because the user logged out.'],
  // No "Error validating access token:" prefix on 459, as recorded from the real API.
  ['checkpoint', 459, 'You cannot access the app till you log in to www.facebook.com and follow the instructions given.'],
] as const;

describe('events invalidate exactly the tokens Facebook would', () => {
  for (const [type, subcode, message] of EVENTS) {
    it(`${type}: every user and page token of that user fails with 190/${subcode}; others and later tokens work`, async () => {
      const emu = await startTestEmulator();
      const user = emu.users[0]!;
      const long = await longLivedToken(emu);
      const pageToken = (await graph(emu, `${V}/me/accounts?access_token=${long}`)).json.data[0].access_token;
      const bystander = await emu.control.createUser({ name: 'Other', pages: [{ id: user.pages[0]!.id }] });
      await emu.control.event(user.id, type);
      for (const t of [user.shortLivedToken, long, pageToken]) {
        const r = await graph(emu, `${V}/me?access_token=${t}`);
        expect(r.status).toBe(400);
        expect(r.json.error).toMatchObject({ code: 190, error_subcode: subcode, type: 'OAuthException' });
        if (message) expect(r.json.error.message).toBe(message);
        else expect(r.json.error.message).toBe(`Error validating access token: The user has not authorized application ${emu.appId}.`);
        expect(r.headers.get('www-authenticate')).toBe(`OAuth "Facebook Platform" "invalid_token" "${r.json.error.message}"`);
        const d = await graph(emu, `${V}/debug_token?input_token=${t}&access_token=${emu.appId}|${emu.appSecret}`);
        expect(d.json.data).toMatchObject({ is_valid: false, error: { code: 190, subcode } });
      }
      expect((await graph(emu, `${V}/me?access_token=${bystander.shortLivedToken}`)).status).toBe(200);
      const fresh = await emu.control.shortLivedToken(user.id);
      expect(fresh.expiresIn).toBe(3600);
      expect((await graph(emu, `${V}/me?access_token=${fresh.accessToken}`)).status).toBe(200);
      const freshPage = (await graph(emu, `${V}/me/accounts?access_token=${fresh.accessToken}`)).json.data[0].access_token;
      expect((await graph(emu, `${V}/me?access_token=${freshPage}`)).status).toBe(200);
    });
  }

  it('page_role_removed: only that user\'s token for that page fails (190/492) and the page leaves their accounts', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const [p0, p1] = [user.pages[0]!.id, user.pages[1]!.id];
    const second = await emu.control.createUser({ name: 'Co-admin', pages: [{ id: p0 }] });
    const long = await longLivedToken(emu);
    const tokens = new Map<string, string>((await graph(emu, `${V}/me/accounts?access_token=${long}`)).json.data.map((p: { id: string; access_token: string }) => [p.id, p.access_token]));
    const coToken = (await graph(emu, `${V}/${p0}?fields=access_token&access_token=${second.shortLivedToken}`)).json.access_token;
    await emu.control.event(user.id, 'page_role_removed', p0);
    const r = await graph(emu, `${V}/me?access_token=${tokens.get(p0)}`);
    expect(r.json.error).toMatchObject({
      code: 190,
      error_subcode: 492,
      message:
        'The user must be an administrator, editor, or moderator of the page in order to impersonate it. If the page business requires Two Factor Authentication, the user also needs to enable Two Factor Authentication.',
    });
    expect((await graph(emu, `${V}/me?access_token=${tokens.get(p1)}`)).status).toBe(200);
    expect((await graph(emu, `${V}/me?access_token=${long}`)).status).toBe(200);
    expect((await graph(emu, `${V}/me?access_token=${coToken}`)).status).toBe(200);
    const ids = (await graph(emu, `${V}/me/accounts?access_token=${long}`)).json.data.map((p: { id: string }) => p.id);
    expect(ids).not.toContain(p0);
    expect(ids).toContain(p1);
  });

  it('DELETE /me/permissions removes the app: the user\'s tokens fail with 190/458', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    const perms = await graph(emu, `${V}/me/permissions?access_token=${t}`);
    expect(perms.json.data).toContainEqual({ permission: 'pages_messaging', status: 'granted' });
    const del = await graph(emu, `${V}/me/permissions?access_token=${t}`, { method: 'DELETE' });
    expect(del.json).toEqual({ success: true });
    expect((await graph(emu, `${V}/me?access_token=${t}`)).json.error).toMatchObject({ code: 190, error_subcode: 458 });
  });

  it('the control API refuses bad events with a 400 saying what is wrong', async () => {
    const emu = await startTestEmulator();
    const res = await fetch(`${emu.url}/_emulator/users/${emu.users[0]!.id}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"page_role_removed"}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('pageId');
    const bad = await fetch(`${emu.url}/_emulator/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pages":[]}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('name');
  });
});

describe('appsecret_proof', () => {
  const proof = (secret: string, token: string) => createHmac('sha256', secret).update(token).digest('hex');

  it('is checked whenever sent: wrong is 400 GraphMethodException 100, right is accepted', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    const bad = await graph(emu, `${V}/me?access_token=${t}&appsecret_proof=${'ab'.repeat(32)}`);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: 'GraphMethodException', code: 100, message: 'Invalid appsecret_proof provided in the API argument' });
    expect((await graph(emu, `${V}/me?access_token=${t}&appsecret_proof=${proof(emu.appSecret, t)}`)).status).toBe(200);
    expect((await graph(emu, `${V}/me?access_token=${t}`)).status).toBe(200);
  });

  it('is required with requireAppsecretProof', async () => {
    const emu = await startTestEmulator({ requireAppsecretProof: true });
    const t = emu.users[0]!.shortLivedToken;
    const missing = await graph(emu, `${V}/me?access_token=${t}`);
    expect(missing.json.error).toMatchObject({ type: 'GraphMethodException', code: 100, message: 'API calls from the server require an appsecret_proof argument' });
    expect((await graph(emu, `${V}/me?access_token=${t}&appsecret_proof=${proof(emu.appSecret, t)}`)).status).toBe(200);
  });
});

describe('unknown things answer Graph errors', () => {
  it('unknown object ids: 100/33 Unsupported get request; unknown paths: 2500; unknown edges: nonexisting field', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    const obj = await graph(emu, `${V}/987654321987654?access_token=${t}`);
    expect(obj.status).toBe(400);
    expect(obj.json.error).toMatchObject({
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      message:
        "Unsupported get request. Object with ID '987654321987654' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
    });
    const path = await graph(emu, `${V}/nothing/here?access_token=${t}`);
    // Graph names the components after the node it could not resolve ("nothing").
    expect(path.json.error).toMatchObject({ code: 2500, message: 'Unknown path components: /here' });
    const edge = await graph(emu, `${V}/me/feeds?access_token=${t}`);
    expect(edge.json.error).toMatchObject({ code: 100, message: '(#100) Tried accessing nonexisting field (feeds) on node type (User)' });
    const noToken = await graph(emu, `${V}/me`);
    expect(noToken.json.error).toMatchObject({ code: 2500, message: 'An active access token must be used to query information about the current user.' });
    const garbage = await graph(emu, `${V}/me?access_token=nonsense`);
    expect(garbage.json.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    for (const r of [obj, path, edge, noToken, garbage]) {
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      expect(r.headers.get('facebook-api-version')).toBe(V);
      expect(r.json.error.fbtrace_id).toMatch(/^[0-9A-Za-z]{11}$/);
    }
  });
});
