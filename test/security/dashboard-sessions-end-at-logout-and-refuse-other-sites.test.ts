/**
 * The dashboard session ends on the server at logout (a copied cookie opens nothing after),
 * sessions are short by default, every form POST must come from this site, and `--dev` (open
 * without login) answers only loopback Host values with a CSRF token no one can derive.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_SESSION_TTL_MS } from '../../src/service/routes/dashboard-routes.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { startService } from '../service/service-harness.js';

const ADMIN = 'admin-key-for-tests-0123456789';
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const cookieOf = (setCookie: string | string[] | undefined) => String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0]!;
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1];

describe('dashboard sessions', () => {
  it('end on the server at logout, on every instance, and last two hours at most', async () => {
    const h = await startService();
    const login = await h.server.app.inject({ method: 'POST', url: '/login', headers: formHeaders, payload: `adminKey=${ADMIN}` });
    const cookie = cookieOf(login.headers['set-cookie']);
    expect(String(login.headers['set-cookie'])).toMatch(new RegExp(`Max-Age=${ADMIN_SESSION_TTL_MS / 1000}`));
    expect(ADMIN_SESSION_TTL_MS).toBeLessThanOrEqual(2 * 60 * 60 * 1000);
    // A second instance on the same database knows the session too.
    const other = await buildServer(h.deps);
    try {
      const home = await h.server.app.inject({ url: '/', headers: { cookie } });
      expect(home.statusCode).toBe(200);
      expect((await other.app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);

      const out = await h.server.app.inject({ method: 'POST', url: '/logout', headers: { ...formHeaders, cookie }, payload: `csrf=${encodeURIComponent(csrfOf(home.body)!)}` });
      expect(out.statusCode).toBe(303);
      // Someone who kept the cookie (a shared computer, a stolen copy) is signed out everywhere.
      for (const s of [h.server, other]) {
        const again = await s.app.inject({ url: '/', headers: { cookie } });
        expect([again.statusCode, again.headers.location]).toEqual([303, '/login']);
      }
      const check = await h.server.app.inject({ method: 'POST', url: '/pages/1/check', headers: { ...formHeaders, cookie }, payload: `csrf=${encodeURIComponent(csrfOf(home.body)!)}` });
      expect(check.statusCode).toBe(401);
    } finally {
      await other.shutdown(1000);
    }
    // Only a hash of the session id is kept.
    const rows = await h.pk.context.store.db.selectFrom('admin_sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!);
  });

  it('answer 404, not 500, for a check of a Page that is not connected', async () => {
    const h = await startService();
    const login = await h.server.app.inject({ method: 'POST', url: '/login', headers: formHeaders, payload: `adminKey=${ADMIN}` });
    const cookie = cookieOf(login.headers['set-cookie']);
    const csrf = csrfOf((await h.server.app.inject({ url: '/', headers: { cookie } })).body)!;
    const res = await h.server.app.inject({ method: 'POST', url: '/pages/123456789/check', headers: { ...formHeaders, cookie }, payload: `csrf=${encodeURIComponent(csrf)}` });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('data-testid="check-failed"');
    const key = await h.key(['pages:check']);
    const api = await h.server.app.inject({ method: 'POST', url: '/v1/pages/123456789/check', headers: { authorization: `Bearer ${key}` } });
    expect([api.statusCode, api.json().error.code]).toEqual([404, 'PK_PAGE_NOT_FOUND']);
  });
});

describe('browser requests from other sites', () => {
  it('are refused on every dashboard POST, whatever cookie and CSRF token they carry', async () => {
    const h = await startService({ publicUrl: 'https://pk.example.com' });
    const [pageId] = await h.connectFirstUser();
    const login = await h.server.app.inject({ method: 'POST', url: '/login', headers: formHeaders, payload: `adminKey=${ADMIN}` });
    const cookie = cookieOf(login.headers['set-cookie']);
    const csrf = csrfOf((await h.server.app.inject({ url: '/', headers: { cookie } })).body)!;
    const post = (url: string, headers: Record<string, string>, payload: string) => h.server.app.inject({ method: 'POST', url, headers: { ...formHeaders, cookie, ...headers }, payload });
    const hostiles: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }];
    for (const hostile of hostiles) {
      expect((await post(`/pages/${pageId}/check`, hostile, `csrf=${encodeURIComponent(csrf)}`)).statusCode).toBe(403);
      expect((await post('/login', hostile, `adminKey=${ADMIN}`)).statusCode).toBe(403);
      expect((await post('/logout', hostile, `csrf=${encodeURIComponent(csrf)}`)).statusCode).toBe(403);
    }
    // Still signed in: the refused logout did nothing.
    expect((await h.server.app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);
    // The same form from this site (public URL or the Host it was served on) works.
    expect((await post(`/pages/${pageId}/check`, { origin: 'https://pk.example.com', 'sec-fetch-site': 'same-origin' }, `csrf=${encodeURIComponent(csrf)}`)).statusCode).toBe(303);
    expect((await post(`/pages/${pageId}/check`, { origin: 'http://localhost:80' }, `csrf=${encodeURIComponent(csrf)}`)).statusCode).toBe(303);
  });

  it('cannot reach the --dev dashboard through another host name, and its CSRF token differs per process', async () => {
    const h = await startService({ devOpenDashboard: true });
    await h.connectFirstUser();
    for (const host of ['evil.example', 'evil.example:3000', '127.0.0.1.evil.example', 'localhost.evil.example']) {
      const res = await h.server.app.inject({ url: '/', headers: { host } });
      expect([host, res.statusCode]).toEqual([host, 421]);
      expect(res.body).not.toContain('data-testid');
    }
    for (const host of ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000', 'localhost']) {
      expect([host, (await h.server.app.inject({ url: '/', headers: { host } })).statusCode]).toEqual([host, 200]);
    }
    // The API needs a key anyway and is not bound to the Host.
    expect((await h.server.app.inject({ url: '/healthz', headers: { host: 'evil.example' } })).statusCode).toBe(200);

    const csrfA = csrfOf((await h.server.app.inject({ url: '/' })).body);
    const other = await buildServer(h.deps);
    try {
      const csrfB = csrfOf((await other.app.inject({ url: '/' })).body);
      expect(csrfA).toBeDefined();
      expect(csrfB).toBeDefined();
      expect(csrfA).not.toBe(csrfB);
    } finally {
      await other.shutdown(1000);
    }
  });
});
