/**
 * `connect --browser --redirect-uri`: Facebook accepts http:// redirects only for localhost and
 * only in development mode; an https redirect belongs to `pagekeeper serve`. The command says
 * so with a coded error before opening anything, and a localhost redirect on another path works.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localRedirect } from '../../src/cli/commands/connect.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, newKey } from '../tokens/setup.js';

describe('connect --browser --redirect-uri', { timeout: 90_000 }, () => {
  it('an http redirect to a public host: PK_INSECURE_REDIRECT naming Facebook\'s rule, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-redirect-'));
    const env = { PAGEKEEPER_APP_ID: '123', PAGEKEEPER_APP_SECRET: 'secretsecret', PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    const r = await runCli(['connect', '--browser', '--no-open', '--redirect-uri', 'http://pk.example.com/oauth/callback', '--json'], { cwd: dir, env });
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } };
    expect(err.error.code).toBe('PK_INSECURE_REDIRECT');
    expect(err.error.message).toContain('only for localhost, and only while the app is in development mode');
    expect(err.error.fix).toContain('PUBLIC_URL/connect');
  });

  it('an https redirect: PK_REDIRECT_NEEDS_SERVE pointing at serve\'s connect page', () => {
    expect(() => localRedirect('https://pk.example.com/oauth/callback', 8765, 'https://pk.example.com')).toThrow(expect.objectContaining({ code: 'PK_REDIRECT_NEEDS_SERVE', fix: expect.stringContaining('https://pk.example.com/connect') }));
    expect(() => localRedirect('http://127.0.0.1:8765/callback', 8765, undefined)).toThrow(expect.objectContaining({ code: 'PK_USAGE' }));
    expect(localRedirect(undefined, 8765, undefined)).toEqual({ port: 8765, path: '/callback' });
  });

  it('a localhost redirect on its own path is where the command waits, and the login completes', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-redirect-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_DIALOG_URL: emu.dialogUrl, PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    let stderr = '';
    // Port 0 in the URI is not something Facebook would take, but it lets the test pick a free port.
    const running = runCli(['connect', '--browser', '--no-open', '--redirect-uri', 'http://localhost:0/fb/done', '--json'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
    const started = Date.now();
    while (!/\/dialog\/oauth\?\S+/.test(stderr) && Date.now() - started < 50_000) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('only while the app is in development mode');
    const url = new URL(stderr.match(/(http:\/\/\S+\/dialog\/oauth\?\S+)/)![1]!);
    const redirect = new URL(url.searchParams.get('redirect_uri')!);
    expect(redirect.pathname).toBe('/fb/done');
    const back = await loginThroughDialog(url.href);
    const res = await fetch(back);
    expect(res.status).toBe(200);
    const r = await running;
    expect(r.code).toBe(0);
    expect(parseJsonOutput<{ pages: unknown[] }>(r).pages.length).toBeGreaterThan(0);
  });
});
