/**
 * The emulator listens on 127.0.0.1, which any web page open in the developer's browser can
 * reach. Its control API (/_emulator) refuses cross-site browser requests and non-JSON bodies,
 * so such a page cannot create users, add faults or read tokens; tests and the CLI (no Origin,
 * JSON bodies) are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';

describe('the emulator control API', () => {
  it('refuses requests from another site and form or text bodies, and serves JSON clients', async () => {
    const emu = await startTestEmulator();
    const users = `${emu.url}/_emulator/users`;
    const before = ((await (await fetch(users)).json()) as { data: unknown[] }).data.length;
    const body = JSON.stringify({ name: 'Eve', pages: [{ name: 'Evil' }] });

    const fromSite = await fetch(users, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body });
    expect(fromSite.status).toBe(403);
    const fetchMeta = await fetch(users, { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body });
    expect(fetchMeta.status).toBe(403);
    expect((await fetch(users, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    // What a cross-site <form> or no-preflight fetch can send: text/plain or a form encoding.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(users, { method: 'POST', headers: { 'content-type': type }, body });
      expect([type, res.status]).toEqual([type, 415]);
    }
    expect(((await (await fetch(users)).json()) as { data: unknown[] }).data.length).toBe(before);

    // Same-origin and non-browser JSON clients work.
    expect((await fetch(users, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    expect((await fetch(users, { method: 'POST', headers: { 'content-type': 'application/json', origin: emu.url, 'sec-fetch-site': 'same-origin' }, body })).status).toBe(200);
    expect((await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' })).status).toBeLessThan(300);
    expect(((await (await fetch(users)).json()) as { data: unknown[] }).data.length).toBe(before + 2);
  });
});
