import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

const ADMIN = 'admin-key-for-tests-0123456789';

function cookieOf(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return first.split(';')[0]!;
}

describe('the dashboard', () => {
  it('sends people to the login page, refuses a wrong admin key and never renders a token', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const token = await h.pk.page(pageId!).token();

    const anon = await h.server.app.inject({ url: '/' });
    expect([anon.statusCode, anon.headers.location]).toEqual([303, '/login']);
    const wrong = await h.server.app.inject({ method: 'POST', url: '/login', payload: { adminKey: 'nope' }, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('data-testid="login-error"');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const login = await h.server.app.inject({ method: 'POST', url: '/login', payload: `adminKey=${ADMIN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([login.statusCode, login.headers.location]).toEqual([303, '/']);
    const session = cookieOf(login.headers['set-cookie']);
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);

    const page = await h.server.app.inject({ url: '/', headers: { cookie: session } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain(`data-page-id="${pageId}"`);
    expect(page.body).toContain('data-testid="connect-page"');
    expect(page.body).toMatch(/data-testid="token-expiry">never/);
    expect(page.body).toContain('<main id="main">');
    expect(page.body).not.toContain(token);
    expect(page.body).not.toMatch(/EAA[A-Za-z0-9]{20}/);

    const forged = await h.server.app.inject({ url: '/', headers: { cookie: `${session.slice(0, -2)}xx` } });
    expect(forged.statusCode).toBe(303);
  });

  it('shows the reason and the fix of an unhealthy page after "Check now", with CSRF protection', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const login = await h.server.app.inject({ method: 'POST', url: '/login', payload: `adminKey=${ADMIN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const cookie = cookieOf(login.headers['set-cookie']);
    const csrf = /name="csrf" value="([^"]+)"/.exec((await h.server.app.inject({ url: '/', headers: { cookie } })).body)![1]!;
    await h.emu.control.event(h.emu.users[0]!.id, 'password_changed');

    const noCsrf = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/check`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'csrf=wrong' });
    expect(noCsrf.statusCode).toBe(403);
    const check = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/check`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${encodeURIComponent(csrf)}` });
    expect(check.statusCode).toBe(303);
    const page = await h.server.app.inject({ url: '/?checked=1', headers: { cookie } });
    const row = new RegExp(`<tr data-testid="page-row" data-page-id="${pageId}" data-status="needs_reauth">[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
    expect(row).toContain('data-testid="page-reason"');
    expect(row).toContain('data-testid="page-fix"');
    expect(page.body).toContain('data-testid="event-row"');
  });

  it('is open without login only in dev mode, and escapes what Facebook sends', async () => {
    const h = await startService({ devOpenDashboard: true });
    const created = await h.emu.control.createUser({ name: 'Mallory', pages: [{ name: '<img src=x onerror=alert(1)>' }] });
    const { accessToken } = await h.emu.control.shortLivedToken(created.id);
    await h.pk.connect(accessToken);
    const page = await h.server.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).not.toContain('<img src=x');
  });

  it('is locked when no admin key is configured and not in dev mode', async () => {
    const h = await startService({ adminKey: undefined });
    expect((await h.server.app.inject({ url: '/' })).statusCode).toBe(503);
    expect((await h.server.app.inject({ method: 'POST', url: '/login', payload: 'adminKey=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(503);
  });
});
