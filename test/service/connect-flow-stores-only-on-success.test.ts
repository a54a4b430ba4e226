import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startService, type Harness } from './service-harness.js';

async function listening(h: Harness): Promise<string> {
  await h.server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
  h.deps.config.publicUrl = base;
  return base;
}

/** Clicks through /connect and the emulator's consent page; returns the callback URL and the state cookie. */
async function consent(base: string, action: 'continue' | 'cancel'): Promise<{ callback: string; cookie: string }> {
  const start = await fetch(`${base}/connect`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  expect(cookie).toMatch(/^pk_connect_state=/);
  const dialog = await fetch(start.headers.get('location')!);
  const html = await dialog.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1]!, m[2]!.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&'));
  for (const m of html.matchAll(/name="page" value="([^"]+)"/g)) form.append('page', m[1]!);
  form.append('action', action);
  const confirmUrl = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), dialog.url);
  const back = await fetch(confirmUrl, { method: 'POST', body: form, redirect: 'manual' });
  expect(back.status).toBe(302);
  return { callback: back.headers.get('location')!, cookie };
}

const users = (h: Harness) => h.pk.context.store.db.selectFrom('users').selectAll().execute();

describe('the connect flow', () => {
  it('stores the pages after consent, and refuses the same callback twice', async () => {
    const h = await startService();
    const base = await listening(h);
    const { callback, cookie } = await consent(base, 'continue');
    expect(callback.startsWith(`${base}/oauth/callback?`)).toBe(true);
    // The callback acts, then sends the browser to the result (Post/Redirect/Get).
    const acted = await fetch(callback, { headers: { cookie }, redirect: 'manual' });
    expect(acted.status).toBe(303);
    expect(acted.headers.get('set-cookie')).toMatch(/pk_connect_state=;/);
    const done = await fetch(new URL(acted.headers.get('location')!, base));
    const page = await done.text();
    expect(done.status).toBe(200);
    expect(page).toContain('data-testid="connect-success"');
    expect(page).not.toMatch(/EAA[A-Za-z0-9]{20}/);
    const pages = await h.deps.pages.list();
    expect(pages.map((p) => p.id).sort()).toEqual(h.emu.users[0]!.pages.map((p) => p.id).sort());

    const replay = await fetch(callback, { headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('data-testid="connect-bad-state"');
  });

  it('stores nothing when the state does not match this browser', async () => {
    const h = await startService();
    const base = await listening(h);
    const { callback } = await consent(base, 'continue');
    const other = (await fetch(`${base}/connect`, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0]!;
    for (const headers of [{ cookie: other }, {}] as Record<string, string>[]) {
      const res = await fetch(callback, { headers });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('data-testid="connect-bad-state"');
    }
    expect(await users(h)).toEqual([]);
  });

  it('stores nothing when the person cancels', async () => {
    const h = await startService();
    const base = await listening(h);
    const { callback, cookie } = await consent(base, 'cancel');
    expect(callback).toContain('error=access_denied');
    const res = await fetch(callback, { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('data-testid="connect-cancelled"');
    expect(await users(h)).toEqual([]);
  });

  it('stores nothing when a used code is replayed with a fresh state', async () => {
    const h = await startService();
    const base = await listening(h);
    const first = await consent(base, 'continue');
    const code = new URL(first.callback).searchParams.get('code')!;
    // The code is used once (by someone else, say), then replayed in a fresh, valid login.
    await h.pk.context.graph.get('oauth/access_token', { client_id: h.emu.appId, client_secret: h.emu.appSecret, redirect_uri: `${base}/oauth/callback`, code });
    const second = await consent(base, 'continue');
    const replayed = new URL(second.callback);
    replayed.searchParams.set('code', code);
    const res = await fetch(replayed, { headers: { cookie: second.cookie } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('data-testid="connect-failed"');
    expect(text).not.toContain(code);
    expect(await users(h)).toEqual([]);
  });
});
