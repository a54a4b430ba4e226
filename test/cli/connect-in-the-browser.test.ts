import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, newKey } from '../tokens/setup.js';

/** Waits for the login URL the command prints on stderr. */
function loginUrlFrom(chunks: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const m = chunks().match(/(http:\/\/\S+\/dialog\/oauth\?\S+)/);
      if (m) {
        clearInterval(poll);
        resolve(m[1]!);
      } else if (Date.now() - started > 50_000) {
        clearInterval(poll);
        reject(new Error(`no login URL on stderr: ${chunks()}`));
      }
    }, 50);
  });
}

describe('pagekeeper connect --browser runs Facebook Login through a local callback', { timeout: 90_000 }, () => {
  it('prints the dialog URL, receives the redirect on /callback, checks state and connects', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-browser-'));
    const env = {
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_GRAPH_URL: emu.url,
      PAGEKEEPER_DIALOG_URL: emu.dialogUrl,
      PAGEKEEPER_KEYS: newKey(),
      PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}`,
    };
    let stderr = '';
    const running = runCli(['connect', '--browser', '--port', '0', '--no-open', '--json'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
    const url = new URL(await loginUrlFrom(() => stderr));
    const redirectUri = url.searchParams.get('redirect_uri')!;
    expect(redirectUri).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    expect(url.searchParams.get('scope')).toContain('pages_messaging');
    const state = url.searchParams.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(32);

    // A forged redirect with another state is refused and the command keeps waiting.
    const forged = await fetch(`${redirectUri}?code=stolen&state=wrong`);
    expect(forged.status).toBe(400);

    const back = await loginThroughDialog(url.toString());
    expect(back.searchParams.get('state')).toBe(state);
    const page = await fetch(back);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connected');

    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    const j = parseJsonOutput<{ user: { id: string }; pages: { tokenExpiresAt: null }[] }>(r);
    expect(j.user.id).toBe(emu.users[0]!.id);
    expect(j.pages).toHaveLength(emu.users[0]!.pages.length);
  });

  it('Cancel in the dialog ends the command with PK_OAUTH_DENIED and stores nothing', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-browser-'));
    const env = {
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_GRAPH_URL: emu.url,
      PAGEKEEPER_DIALOG_URL: emu.dialogUrl,
      PAGEKEEPER_KEYS: newKey(),
      PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}`,
    };
    let stderr = '';
    const running = runCli(['connect', '--browser', '--port', '0', '--no-open'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
    const url = await loginUrlFrom(() => stderr);
    const back = await loginThroughDialog(url, { cancel: true });
    expect(back.searchParams.get('error')).toBe('access_denied');
    await fetch(back);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error PK_OAUTH_DENIED/);
    const pages = parseJsonOutput<{ pages: unknown[] }>(await runCli(['pages', '--json'], { cwd: dir, env }));
    expect(pages.pages).toEqual([]);
  });
});
