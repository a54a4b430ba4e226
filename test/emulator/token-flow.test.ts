import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

const exchange = (emu: { appId: string; appSecret: string }, token: string, extra: Record<string, string> = {}) =>
  `${V}/oauth/access_token?${new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: token, ...extra })}`;

describe('getting tokens: the Login dialog, code exchange and fb_exchange_token', () => {
  it('the ready object has one app and one user with three pages holding every task', async () => {
    const emu = await startTestEmulator();
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.dialogUrl).toBe(emu.url);
    expect(emu.appId).toMatch(/^\d{15,16}$/);
    expect(emu.users).toHaveLength(1);
    const u = emu.users[0]!;
    expect(u.id).toMatch(/^\d{15,16}$/);
    expect(u.shortLivedToken).toMatch(/^EAA[0-9A-Za-z]{150,}$/);
    expect(u.pages).toHaveLength(3);
    for (const p of u.pages) expect(p.tasks).toEqual(expect.arrayContaining(['MESSAGING', 'MANAGE', 'CREATE_CONTENT', 'MODERATE', 'ANALYZE', 'ADVERTISE']));
  });

  it('fb_exchange_token answers a bearer token good for 60 days with the version header', async () => {
    const emu = await startTestEmulator();
    const r = await graph(emu, exchange(emu, emu.users[0]!.shortLivedToken));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['access_token', 'token_type', 'expires_in']);
    expect(r.json.token_type).toBe('bearer');
    expect(r.json.expires_in).toBe(5_184_000);
    expect(r.headers.get('facebook-api-version')).toBe(V);
  });

  it('refuses a wrong secret, a missing client_id, a foreign client_id and a missing fb_exchange_token with Facebook\'s errors', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    const wrong = await graph(emu, exchange(emu, t, { client_secret: 'nope' }));
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 1, type: 'OAuthException', message: 'Error validating client secret.' });
    expect(wrong.json.error.fbtrace_id).toEqual(expect.any(String));
    expect(wrong.headers.get('www-authenticate')).toContain('OAuth "Facebook Platform"');
    const noClient = await graph(emu, `${V}/oauth/access_token?grant_type=fb_exchange_token&fb_exchange_token=${t}`);
    expect(noClient.json.error).toMatchObject({ code: 101, message: 'Missing client_id parameter.' });
    const foreign = await graph(emu, exchange(emu, t, { client_id: '999999999999999' }));
    expect(foreign.json.error).toMatchObject({ code: 101, message: 'Invalid Client ID' });
    const q = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret });
    const noToken = await graph(emu, `${V}/oauth/access_token?${q}`);
    expect(noToken.json.error).toMatchObject({ code: 1, message: 'fb_exchange_token parameter not specified' });
  });

  it('a short-lived token expires after an hour and can then not be exchanged (190/463)', async () => {
    const emu = await startTestEmulator();
    await emu.control.advanceClock(3601);
    const r = await graph(emu, exchange(emu, emu.users[0]!.shortLivedToken));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
    expect(r.json.error.message).toMatch(/^Error validating access token: Session has expired on \w+day, \d\d-\w{3}-\d\d \d\d:\d\d:\d\d P[SD]T\. The current time is .+\.$/);
  });

  it('client_credentials answers an app token that debug_token accepts', async () => {
    const emu = await startTestEmulator();
    const q = new URLSearchParams({ grant_type: 'client_credentials', client_id: emu.appId, client_secret: emu.appSecret });
    const r = await graph(emu, `${V}/oauth/access_token?${q}`);
    expect(r.json).toEqual({ access_token: expect.stringMatching(new RegExp(`^${emu.appId}\\|`)), token_type: 'bearer' });
    const d = await graph(emu, `${V}/debug_token?input_token=${encodeURIComponent(emu.users[0]!.shortLivedToken)}&access_token=${encodeURIComponent(r.json.access_token)}`);
    expect(d.json.data.is_valid).toBe(true);
  });

  async function consent(emu: Awaited<ReturnType<typeof startTestEmulator>>, action: 'continue' | 'cancel', redirectUri = 'http://localhost:9/cb', pages?: string[]) {
    const q = new URLSearchParams({ client_id: emu.appId, redirect_uri: redirectUri, state: 'st-1', scope: 'pages_show_list,pages_messaging', response_type: 'code' });
    const page = await graph(emu, `${V}/dialog/oauth?${q}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const form = new URLSearchParams({ client_id: emu.appId, redirect_uri: redirectUri, state: 'st-1', scope: 'pages_show_list,pages_messaging', user_id: emu.users[0]!.id, action });
    for (const p of pages ?? emu.users[0]!.pages.map((x) => x.id)) form.append('page', p);
    const res = await fetch(`${emu.url}/${V}/dialog/oauth/confirm`, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return { page, res, location: new URL(res.headers.get('location')!) };
  }

  it('the consent page names the app, the permissions, the logged-in user and the pages, with Continue and Cancel', async () => {
    const emu = await startTestEmulator();
    const { page } = await consent(emu, 'cancel');
    expect(page.text).toContain('Pagekeeper Emulated App');
    expect(page.text).toContain('pages_messaging');
    expect(page.text).toContain(emu.users[0]!.name);
    for (const p of emu.users[0]!.pages) expect(page.text).toContain(p.name);
    expect(page.text).toMatch(/>Continue/);
    expect(page.text).toMatch(/>Cancel</);
  });

  it('Cancel redirects with the user_denied parameters and the state', async () => {
    const emu = await startTestEmulator();
    const { res, location } = await consent(emu, 'cancel');
    expect(res.status).toBe(302);
    expect(location.search).toContain('error_reason=user_denied&error=access_denied&error_description=Permissions+error.');
    expect(location.searchParams.get('state')).toBe('st-1');
  });

  it('Continue redirects with a code that works once, for 10 minutes, with the identical redirect_uri', async () => {
    const emu = await startTestEmulator();
    const swap = (code: string, redirect = 'http://localhost:9/cb') =>
      graph(emu, `${V}/oauth/access_token?${new URLSearchParams({ client_id: emu.appId, client_secret: emu.appSecret, redirect_uri: redirect, code })}`);
    const { location } = await consent(emu, 'continue');
    expect(location.searchParams.get('state')).toBe('st-1');
    const code = location.searchParams.get('code')!;
    const mismatch = await swap(code, 'http://localhost:9/other');
    expect(mismatch.json.error).toMatchObject({
      code: 100,
      error_subcode: 36008,
      message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
    });
    const ok = await swap(code);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'bearer', expires_in: 5183944 });
    const again = await swap(code);
    expect(again.json.error).toMatchObject({ code: 100, message: 'This authorization code has been used.' });

    const late = (await consent(emu, 'continue')).location.searchParams.get('code')!;
    await emu.control.advanceClock(601);
    expect((await swap(late)).json.error).toMatchObject({ code: 100, error_subcode: 36007 });
  });

  it('unticking pages in the dialog limits the grant to the ticked ones', async () => {
    const emu = await startTestEmulator();
    const chosen = emu.users[0]!.pages[1]!.id;
    const { location } = await consent(emu, 'continue', 'http://localhost:9/cb', [chosen]);
    const q = new URLSearchParams({ client_id: emu.appId, client_secret: emu.appSecret, redirect_uri: 'http://localhost:9/cb', code: location.searchParams.get('code')! });
    const token = (await graph(emu, `${V}/oauth/access_token?${q}`)).json.access_token as string;
    const acc = await graph(emu, `${V}/me/accounts?access_token=${token}`);
    expect(acc.json.data.map((p: { id: string }) => p.id)).toEqual([chosen]);
    const d = await graph(emu, `${V}/debug_token?input_token=${token}&access_token=${emu.appId}|${emu.appSecret}`);
    expect(d.json.data.granular_scopes).toContainEqual({ scope: 'pages_messaging', target_ids: [chosen] });
  });

  it('a long-lived token gives page tokens that never expire; a short-lived one gives page tokens that end with it', async () => {
    const emu = await startTestEmulator();
    const app = `${emu.appId}|${emu.appSecret}`;
    const long = await longLivedToken(emu);
    const fromLong = (await graph(emu, `${V}/me/accounts?access_token=${long}`)).json.data[0].access_token;
    const fromShort = (await graph(emu, `${V}/me/accounts?access_token=${emu.users[0]!.shortLivedToken}`)).json.data[0].access_token;
    const dl = (await graph(emu, `${V}/debug_token?input_token=${fromLong}&access_token=${app}`)).json.data;
    const ds = (await graph(emu, `${V}/debug_token?input_token=${fromShort}&access_token=${app}`)).json.data;
    expect(dl.expires_at).toBe(0);
    const now = (await emu.control.advanceClock(0)).now;
    expect(ds.expires_at).toBeGreaterThan(now + 3000);
    expect(ds.expires_at).toBeLessThanOrEqual(now + 3600);
    await emu.control.advanceClock(3601);
    expect((await graph(emu, `${V}/me?access_token=${fromShort}`)).json.error).toMatchObject({ code: 190, error_subcode: 463 });
    expect((await graph(emu, `${V}/me?access_token=${fromLong}`)).status).toBe(200);
    await emu.control.advanceClock(61 * 86400);
    expect((await graph(emu, `${V}/me?access_token=${long}`)).json.error).toMatchObject({ code: 190, error_subcode: 463 });
    expect((await graph(emu, `${V}/me?access_token=${fromLong}`)).status).toBe(200);
  });
});
