import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

/** A webhook receiver that echoes hub.challenge when the verify token matches and keeps raw bodies. */
async function receiver(verifyToken = 'vt') {
  const got: { headers: Record<string, string | string[] | undefined>; raw: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      if (req.method === 'GET') {
        if (u.searchParams.get('hub.verify_token') === verifyToken) return res.end(u.searchParams.get('hub.challenge'));
        res.statusCode = 403;
        return res.end();
      }
      got.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.end('EVENT_RECEIVED');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('webhooks', () => {
  it('PUT /_emulator/webhook fails with 400 when the endpoint does not echo the challenge', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver('right');
    await expect(emu.control.setWebhook({ url: hook.url, verifyToken: 'wrong' })).rejects.toThrow(/400.*verification/);
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'right' });
  });

  it('inbound messages arrive as Facebook sends them: ASCII-only bytes signed with the app secret', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver();
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt' });
    const pageId = emu.users[0]!.pages[0]!.id;
    const r = await emu.control.inbound(pageId, { text: 'Grüße ✓ 🎉' });
    expect(r.delivered).toBe(true);
    expect(hook.got).toHaveLength(1);
    const { headers, raw } = hook.got[0]!;
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', emu.appSecret).update(raw).digest('hex')}`);
    expect([...raw].every((b) => b < 128)).toBe(true);
    expect(raw.toString()).toContain('Gr\\u00fc\\u00dfe \\u2713 \\ud83c\\udf89');
    const body = JSON.parse(raw.toString());
    expect(body).toEqual({
      object: 'page',
      entry: [{ id: pageId, time: expect.any(Number), messaging: [{ sender: { id: r.psid }, recipient: { id: pageId }, timestamp: expect.any(Number), message: { mid: r.mid, text: 'Grüße ✓ 🎉' } }] }],
    });
  });

  it('deauthorize posts a signed_request verifiable with the app secret and removes the app', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver();
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', deauthorizeUrl: hook.url });
    const user = emu.users[0]!;
    expect((await emu.control.deauthorize(user.id)).delivered).toBe(true);
    const form = new URLSearchParams(hook.got[0]!.raw.toString());
    const [sig, payload] = form.get('signed_request')!.split('.') as [string, string];
    expect(sig).toBe(createHmac('sha256', emu.appSecret).update(payload).digest('base64url'));
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ user_id: user.id, algorithm: 'HMAC-SHA256', issued_at: expect.any(Number) });
    expect((await graph(emu, `${V}/me?access_token=${user.shortLivedToken}`)).json.error).toMatchObject({ code: 190, error_subcode: 458 });
  });
});

describe('faults', () => {
  it('each kind fails the way it says, only for matching paths and only count times', async () => {
    const emu = await startTestEmulator();
    const t = emu.users[0]!.shortLivedToken;
    const me = () => graph(emu, `${V}/me?access_token=${t}`);
    await emu.control.addFault({ match: '/me', kind: 'http500', count: 1 });
    expect((await graph(emu, `${V}/debug_token?input_token=x&access_token=${emu.appId}|${emu.appSecret}`)).status).toBe(200);
    const f500 = await me();
    expect(f500.status).toBe(500);
    expect(f500.json.error.code).toBe(1);
    expect((await me()).status).toBe(200);
    await emu.control.addFault({ match: '/me', kind: 'http503', count: 1 });
    expect((await me()).status).toBe(503);
    await emu.control.addFault({ match: '/me', kind: 'transient', count: 1 });
    const tr = await me();
    expect(tr.json.error).toMatchObject({ code: 2, is_transient: true });
    await emu.control.addFault({ match: '/me', kind: 'html502', count: 1 });
    const h = await me();
    expect(h.status).toBe(502);
    expect(h.headers.get('content-type')).toMatch(/text\/html/);
    await emu.control.addFault({ match: '/me', kind: 'malformed_json', count: 1 });
    const mj = await me();
    expect(mj.status).toBe(200);
    expect(() => JSON.parse(mj.text)).toThrow();
    await emu.control.addFault({ match: '/me', kind: 'reset', count: 1 });
    await expect(fetch(`${emu.url}/${V}/me?access_token=${t}`)).rejects.toThrow();
    await emu.control.addFault({ match: '/me', kind: 'timeout', count: 1 });
    await expect(fetch(`${emu.url}/${V}/me?access_token=${t}`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    await emu.control.addFault({ match: '/me', kind: 'http500' });
    expect((await me()).status).toBe(500);
    await emu.control.clearFaults();
    expect((await me()).status).toBe(200);
  });
});

describe('rate limits and usage headers', () => {
  it('sends past sendPerSecond get 613/2534040 with estimated_time_to_regain_access', async () => {
    const emu = await startTestEmulator({ now: () => 1_800_000_000_000 });
    const pageId = emu.users[0]!.pages[0]!.id;
    const long = await longLivedToken(emu);
    const token = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${long}`)).json.access_token;
    const { psid } = await emu.control.inbound(pageId, { text: 'hi' });
    await emu.control.setLimits({ pageId, sendPerSecond: 3 });
    const send = () => graph(emu, `${V}/${pageId}/messages?access_token=${token}`, { body: { recipient: { id: psid }, message: { text: 'x' } } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await send());
    expect(codes.map((r) => r.status)).toEqual([200, 200, 200, 400, 400]);
    expect(codes[3]!.json.error).toMatchObject({ code: 613, error_subcode: 2534040, message: '(#613) Calls to this api have exceeded the rate limit.' });
    const usage = JSON.parse(codes[3]!.headers.get('x-business-use-case-usage')!);
    expect(usage[pageId][0]).toMatchObject({ type: 'messenger', call_count: 100, estimated_time_to_regain_access: 1 });
    // Below the per-second cap the header reports the rolling budget (4,800 a window by default), not the second.
    expect(JSON.parse(codes[0]!.headers.get('x-business-use-case-usage')!)[pageId][0].call_count).toBe(0);
    await emu.control.setLimits({ pageId, pageCallsPerWindow: 20 });
    await emu.control.advanceClock(1);
    expect(JSON.parse((await send()).headers.get('x-business-use-case-usage')!)[pageId][0].call_count).toBe(30);
    await emu.control.advanceClock(1);
    expect((await send()).status).toBe(200);
  });

  it('page-token calls past pageCallsPerWindow get 80001 until the window frees; user-token calls carry X-App-Usage and hit code 4', async () => {
    const emu = await startTestEmulator({ now: () => 1_800_000_000_000 });
    const pageId = emu.users[0]!.pages[0]!.id;
    const t = emu.users[0]!.shortLivedToken;
    const token = (await graph(emu, `${V}/${pageId}?fields=access_token&access_token=${t}`)).json.access_token;
    await emu.control.setLimits({ pageId, pageCallsPerWindow: 2, windowSeconds: 600 });
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await graph(emu, `${V}/me?access_token=${token}`));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(rs[2]!.json.error.code).toBe(80001);
    const u = JSON.parse(rs[2]!.headers.get('x-business-use-case-usage')!)[pageId][0];
    expect(u).toMatchObject({ type: 'pages', call_count: 100, estimated_time_to_regain_access: 10 });
    await emu.control.advanceClock(600);
    expect((await graph(emu, `${V}/me?access_token=${token}`)).status).toBe(200);

    await emu.control.setLimits({ appCallsPerWindow: 4 });
    const a1 = await graph(emu, `${V}/me?access_token=${t}`);
    const usage = JSON.parse(a1.headers.get('x-app-usage')!);
    expect(Object.keys(usage)).toEqual(['call_count', 'total_time', 'total_cputime']);
    let last = a1;
    for (let i = 0; i < 5; i++) last = await graph(emu, `${V}/me?access_token=${t}`);
    expect(last.json.error).toMatchObject({ code: 4, is_transient: true });
    await emu.control.setLimits({ enabled: false });
    expect((await graph(emu, `${V}/me?access_token=${t}`)).status).toBe(200);
  });
});

describe('batch requests and stats', () => {
  it('answers items in order with JSON-text bodies and headers; item tokens override; more than 50 is refused; each item is counted', async () => {
    const emu = await startTestEmulator();
    const app = `${emu.appId}|${emu.appSecret}`;
    const t = emu.users[0]!.shortLivedToken;
    await emu.control.resetStats();
    const batch = [
      { method: 'GET', relative_url: `debug_token?input_token=${t}` },
      { method: 'GET', relative_url: `me?access_token=${t}` },
      { method: 'GET', relative_url: 'me' },
    ];
    const r = await graph(emu, `${V}/`, { form: { access_token: app, batch: JSON.stringify(batch) } });
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(3);
    expect(r.json[0].code).toBe(200);
    expect(r.json[0].headers).toContainEqual({ name: 'Facebook-API-Version', value: V });
    expect(JSON.parse(r.json[0].body).data.is_valid).toBe(true);
    expect(JSON.parse(r.json[1].body)).toEqual({ name: emu.users[0]!.name, id: emu.users[0]!.id });
    expect(r.json[2].code).toBe(400);
    expect(JSON.parse(r.json[2].body).error.code).toBe(2500);
    const noHeaders = await graph(emu, `${V}/`, { form: { access_token: app, batch: JSON.stringify(batch), include_headers: 'false' } });
    expect(noHeaders.json[0].headers).toBeUndefined();
    const big = await graph(emu, `${V}/`, { form: { access_token: app, batch: JSON.stringify(Array.from({ length: 51 }, () => batch[0])) } });
    expect(big.status).toBe(400);
    const stats = await emu.control.stats();
    expect(stats.calls).toMatchObject({ 'POST /': 3, 'GET /debug_token': 2, 'GET /me': 4 });
    await graph(emu, `${V}/${emu.users[0]!.pages[0]!.id}?access_token=${t}`);
    expect((await emu.control.stats()).calls['GET /{page-id}']).toBe(1);
  });
});
