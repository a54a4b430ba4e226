/**
 * Post/Redirect/Get after Facebook Login: the callback acts once, then the browser lands on a
 * result page whose address holds neither the Login `code` nor the `state`, and refreshing that
 * page shows the same result without exchanging anything again.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startService, type Harness } from './service-harness.js';

async function listening(h: Harness): Promise<string> {
  await h.server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
  h.deps.config.publicUrl = base;
  return base;
}

/** /connect, then the emulator's consent page: the callback URL Facebook sends the browser to, and the state cookie. */
async function consent(base: string, action: 'continue' | 'cancel'): Promise<{ callback: URL; cookie: string }> {
  const start = await fetch(`${base}/connect`, { redirect: 'manual' });
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  const dialog = await fetch(start.headers.get('location')!);
  const html = await dialog.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1]!, m[2]!.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&'));
  for (const m of html.matchAll(/name="page" value="([^"]+)"/g)) form.append('page', m[1]!);
  form.append('action', action);
  const confirmUrl = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), dialog.url);
  const back = await fetch(confirmUrl, { method: 'POST', body: form, redirect: 'manual' });
  return { callback: new URL(back.headers.get('location')!), cookie };
}

/** Follows redirects by hand, as a browser does, and returns every address it went through. */
async function browse(url: URL, cookie: string): Promise<{ addresses: string[]; final: Response }> {
  const addresses = [url.toString()];
  let res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  while (res.status >= 300 && res.status < 400) {
    const next = new URL(res.headers.get('location')!, addresses[addresses.length - 1]);
    addresses.push(next.toString());
    res = await fetch(next, { redirect: 'manual' });
  }
  return { addresses, final: res };
}

const storedRows = async (h: Harness) => {
  const db = h.pk.context.store.db;
  const count = async (t: 'audit_log' | 'page_tokens' | 'users') => Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { audit: await count('audit_log'), tokens: await count('page_tokens'), users: await db.selectFrom('users').select(['id', 'updated_at']).execute() };
};

describe('the connect result after Facebook Login', () => {
  it('is shown at an address without the code and the state, and a refresh runs nothing again', async () => {
    const h = await startService();
    const base = await listening(h);
    const { callback, cookie } = await consent(base, 'continue');
    const code = callback.searchParams.get('code')!;
    const state = callback.searchParams.get('state')!;
    expect(code.length).toBeGreaterThan(5);

    const { addresses, final } = await browse(callback, cookie);
    expect(addresses).toHaveLength(2);
    const landed = addresses[1]!;
    expect(new URL(landed).pathname).toBe('/connect/result');
    expect(landed).not.toContain(code);
    expect(landed).not.toContain(encodeURIComponent(state));
    expect(new URL(landed).searchParams.has('code')).toBe(false);
    expect(new URL(landed).searchParams.has('state')).toBe(false);
    expect(final.status).toBe(200);
    expect(final.headers.get('cache-control')).toBe('no-store');
    const page = await final.text();
    expect(page).toContain('data-testid="connect-success"');
    expect(page).toMatch(/3 Pages connected/);
    for (const p of h.emu.users[0]!.pages) expect(page).toContain(`data-page-id="${p.id}"`);

    // Refresh, twice: the same result, and no call to Facebook, no row written.
    const before = await storedRows(h);
    await h.emu.control.resetStats();
    for (let i = 0; i < 2; i++) {
      const again = await fetch(landed, { redirect: 'manual' });
      expect(again.status).toBe(200);
      expect(await again.text()).toBe(page);
    }
    expect((await h.emu.control.stats()).total).toBe(0);
    expect(await storedRows(h)).toEqual(before);
  });

  it('a cancelled Login dialog, a forged state and an unknown result id also end on pages without code or state', async () => {
    const h = await startService();
    const base = await listening(h);

    const cancelled = await consent(base, 'cancel');
    const c = await browse(cancelled.callback, cancelled.cookie);
    expect(new URL(c.addresses.at(-1)!).pathname).toBe('/connect/result');
    expect(c.addresses.at(-1)).not.toContain(cancelled.callback.searchParams.get('state')!);
    expect(c.final.status).toBe(400);
    expect(await c.final.text()).toContain('data-testid="connect-cancelled"');

    const forged = await browse(new URL(`${base}/oauth/callback?code=forgedcode123&state=forgedstate456`), '');
    expect(forged.addresses.at(-1)).toBe(`${base}/connect/result?error=bad-state`);
    expect(forged.final.status).toBe(400);
    expect(await forged.final.text()).toContain('data-testid="connect-bad-state"');
    // Nothing was stored for the forged call.
    expect(await h.pk.context.store.db.selectFrom('connect_results').selectAll().execute()).toHaveLength(1);

    const unknown = await fetch(`${base}/connect/result?id=AAAAAAAAAAAAAAAAAAAAAA`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('data-testid="connect-result-gone"');
    expect((await fetch(`${base}/connect/result?error=__proto__`)).status).toBe(404);
  });

  it('expires after ten minutes', async () => {
    const h = await startService();
    const base = await listening(h);
    const { callback, cookie } = await consent(base, 'continue');
    const { addresses } = await browse(callback, cookie);
    const realNow = h.deps.now;
    h.deps.now = () => realNow() + 10 * 60_000 + 1;
    const later = await fetch(addresses.at(-1)!);
    expect(later.status).toBe(404);
    expect(await later.text()).toContain('data-testid="connect-result-gone"');
  });
});
