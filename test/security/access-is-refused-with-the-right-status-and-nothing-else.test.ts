/**
 * Every way in without the right credential gets the right status and a coded
 * refusal that says nothing about the data behind it: the REST API without a key, with a wrong,
 * revoked or under-scoped key; the dashboard without a session; a replayed login state or
 * code; a body over the limit; a client too slow to finish its request.
 */
import { connect as connectSocket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { PageKeeper } from '../../src/pagekeeper.js';
import { startService, type Harness } from '../service/service-harness.js';
import { loginThroughDialog } from '../tokens/setup.js';

const ROUTES: { method: 'GET' | 'POST'; url: (page: string) => string; scope: string; body?: object }[] = [
  { method: 'GET', url: () => '/v1/pages', scope: 'pages:read' },
  { method: 'GET', url: (p) => `/v1/pages/${p}`, scope: 'pages:read' },
  { method: 'GET', url: (p) => `/v1/pages/${p}/token`, scope: 'tokens:read' },
  { method: 'POST', url: (p) => `/v1/pages/${p}/check`, scope: 'pages:check' },
  { method: 'POST', url: (p) => `/v1/pages/${p}/messages`, scope: 'messages:write', body: { recipient: { id: '1' }, message: { text: 'hi' } } },
  { method: 'GET', url: () => '/v1/messages/abc', scope: 'messages:write' },
  { method: 'GET', url: () => '/v1/events', scope: 'events:read' },
];

async function counts(pk: PageKeeper) {
  const out: Record<string, number> = {};
  for (const t of ['users', 'pages', 'page_tokens', 'audit_log', 'outbox']) out[t] = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(pk.context.store.db)).rows[0]!.n);
  return out;
}

/** A refusal holds the error and nothing about the pages behind it. */
function expectBareRefusal(h: Harness, res: { statusCode: number; body: string }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['error']);
  expect((body.error as { code: string }).code).toBe(code);
  for (const p of h.emu.users[0]!.pages) {
    expect(res.body).not.toContain(p.id);
    expect(res.body).not.toContain(p.name);
  }
  expect(res.body).not.toMatch(/EAA[A-Za-z0-9]{10}/);
}

describe('the REST API', () => {
  it('answers 401 without a key, with a wrong key and with a revoked key, 403 without the scope', async () => {
    const h = await startService({}, { maxAuthFailures: 1000 });
    const [page] = await h.connectFirstUser();
    const good = await h.key(['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'events:read']);
    const revoked = await h.deps.apiKeys.create({ name: 'gone', scopes: ['pages:read', 'tokens:read'] });
    await h.deps.apiKeys.revoke(revoked.id);
    for (const r of ROUTES) {
      const url = r.url(page!);
      const send = (authorization?: string) =>
        h.server.app.inject({ method: r.method, url, headers: authorization ? { authorization } : {}, ...(r.body ? { payload: r.body } : {}) });
      expectBareRefusal(h, await send(), 401, 'PK_UNAUTHORIZED');
      expectBareRefusal(h, await send(`Bearer ${good}x`), 401, 'PK_UNAUTHORIZED');
      expectBareRefusal(h, await send(`Bearer ${good.slice(0, -1)}`), 401, 'PK_UNAUTHORIZED');
      expectBareRefusal(h, await send(`Basic ${Buffer.from(`x:${good}`).toString('base64')}`), 401, 'PK_UNAUTHORIZED');
      expectBareRefusal(h, await send(`Bearer ${revoked.key}`), 401, 'PK_UNAUTHORIZED');
      // A key with every scope but the one this route needs.
      const others = ['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'events:read'].filter((s) => s !== r.scope) as Parameters<Harness['key']>[0];
      expectBareRefusal(h, await send(`Bearer ${await h.key(others)}`), 403, 'PK_FORBIDDEN');
    }
    // The good key does get in, so the refusals above were about the key.
    expect((await h.server.app.inject({ method: 'GET', url: `/v1/pages/${page}/token`, headers: { authorization: `Bearer ${good}` } })).statusCode).toBe(200);
  });

  it('refuses a body over the size limit with 413 before reading it, and stores nothing', async () => {
    const h = await startService({}, { bodyLimit: 64 * 1024 });
    const [page] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    const before = await counts(h.pk);
    const big = JSON.stringify({ recipient: { id: '1' }, message: { text: 'x'.repeat(100 * 1024) } });
    const res = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${page}/messages`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: big });
    expectBareRefusal(h, res, 413, 'PK_BODY_TOO_LARGE');
    const hook = await h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, payload: big });
    expect(hook.statusCode).toBe(413);
    expect(await counts(h.pk)).toEqual(before);
  });
});

describe('the dashboard', () => {
  it('shows nothing without a session: the pages redirect to login, actions answer 401', async () => {
    const h = await startService();
    const [page] = await h.connectFirstUser();
    const home = await h.server.app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBeOneOf([302, 303]);
    expect(home.headers.location).toBe('/login');
    const check = await h.server.app.inject({ method: 'POST', url: `/pages/${page}/check`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'csrf=x' });
    expect(check.statusCode).toBe(401);
    const forged = await h.server.app.inject({ method: 'GET', url: '/', headers: { cookie: 'pk_admin=forged.value' } });
    expect(forged.statusCode).toBeOneOf([302, 303]);
    const wrong = await h.server.app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'adminKey=not-the-admin-key' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    for (const res of [home, check, forged, wrong]) for (const p of h.emu.users[0]!.pages) expect(res.body).not.toContain(p.name);
  });
});

describe('the connect flow', () => {
  it('refuses a replayed state and a replayed code, storing nothing more', async () => {
    const h = await startService();
    const start = async () => {
      const res = await h.server.app.inject({ method: 'GET', url: '/connect' });
      expect(res.statusCode).toBe(302);
      return { location: String(res.headers.location), cookie: String(res.headers['set-cookie']).split(';')[0]! };
    };
    const first = await start();
    const back = await loginThroughDialog(first.location);
    const callback = `/oauth/callback${back.search}`;
    // Every callback answers 303 to its result page, which answers with the outcome's status.
    const follow = async (res: { statusCode: number; headers: Record<string, unknown> }) => {
      expect(res.statusCode).toBe(303);
      return h.server.app.inject({ method: 'GET', url: String(res.headers.location) });
    };
    const ok = await follow(await h.server.app.inject({ method: 'GET', url: callback, headers: { cookie: first.cookie } }));
    expect(ok.statusCode).toBe(200);
    const after = await counts(h.pk);
    expect(after.page_tokens).toBe(h.emu.users[0]!.pages.length);

    // The same callback again (state and code both used).
    const replay = await follow(await h.server.app.inject({ method: 'GET', url: callback, headers: { cookie: first.cookie } }));
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('connect-bad-state');
    // The used code under a fresh, valid state: Facebook refuses the code, nothing is stored.
    const second = await start();
    const state = new URL(second.location).searchParams.get('state')!;
    const reused = await follow(await h.server.app.inject({ method: 'GET', url: `/oauth/callback?code=${encodeURIComponent(back.searchParams.get('code')!)}&state=${encodeURIComponent(state)}`, headers: { cookie: second.cookie } }));
    expect(reused.statusCode).toBe(400);
    expect(reused.body).toContain('connect-failed');
    // A state from another browser's cookie.
    const third = await start();
    const crossed = await follow(await h.server.app.inject({ method: 'GET', url: `/oauth/callback?code=abc&state=${encodeURIComponent(new URL(third.location).searchParams.get('state')!)}`, headers: { cookie: first.cookie } }));
    expect(crossed.statusCode).toBe(400);
    const audit = after.audit_log;
    expect({ ...(await counts(h.pk)), audit_log: audit }).toEqual(after);
  });
});

describe('slow clients', () => {
  async function openSocket(h: Harness, send: (s: import('node:net').Socket) => void): Promise<{ data: string; closedByServer: boolean }> {
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.server.app.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      let data = '';
      let gaveUp = false;
      const socket = connectSocket(port, '127.0.0.1', () => send(socket));
      socket.on('data', (d) => (data += d.toString()));
      socket.on('error', (e) => (gaveUp ? undefined : reject(e)));
      socket.on('close', () => resolve({ data, closedByServer: !gaveUp }));
      // Bounded: if the server never cuts the client off, the test ends and says so.
      socket.setTimeout(15_000, () => {
        gaveUp = true;
        socket.destroy();
      });
    });
  }

  it('a client trickling its headers is cut off by the request timeout', async () => {
    const h = await startService({}, { requestTimeoutMs: 500, headersTimeoutMs: 500 });
    const request = 'GET /v1/pages HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
    const r = await openSocket(h, (s) => {
      let i = 0;
      const timer = setInterval(() => {
        if (s.destroyed || i >= request.length) return clearInterval(timer);
        s.write(request[i++]!);
      }, 20);
      s.on('close', () => clearInterval(timer));
    });
    expect(r.closedByServer).toBe(true);
    expect(r.data === '' || r.data.startsWith('HTTP/1.1 408')).toBe(true);
  }, 30_000);

  it('a client that never finishes its body is cut off, and the request is not served', async () => {
    const h = await startService({}, { requestTimeoutMs: 500, headersTimeoutMs: 500 });
    const [page] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    const before = await counts(h.pk);
    const r = await openSocket(h, (s) =>
      s.write(`POST /v1/pages/${page}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"recipient":`),
    );
    expect(r.closedByServer).toBe(true);
    expect(r.data === '' || r.data.startsWith('HTTP/1.1 408') || r.data.startsWith('HTTP/1.1 400')).toBe(true);
    expect(await counts(h.pk)).toEqual(before);
  }, 30_000);
});
