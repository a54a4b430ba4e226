import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, newKey } from '../tokens/setup.js';

function envFor(emu: TestEmulator, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pk-cli-su-'));
  const dbFile = join(dir, 'pk.db');
  return {
    dir,
    dbFile,
    env: {
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_GRAPH_URL: emu.url,
      PAGEKEEPER_DIALOG_URL: emu.dialogUrl,
      PAGEKEEPER_KEYS: newKey(),
      PAGEKEEPER_DATABASE: `sqlite:${dbFile}`,
      ...extra,
    },
  };
}

interface ConnectJson {
  user: { id: string };
  userToken: { expiresAt: string | null; kind: string };
  pages: { id: string; tokenExpiresAt: string | null; status: string }[];
}

describe('pagekeeper connect --system-user', { timeout: 120_000 }, () => {
  it('reads the token from stdin, never argv, and stores the system user with its Pages', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }], expiresInDays: 60 });
    const { dir, env, dbFile } = envFor(emu);
    const r = await runCli(['connect', '--system-user', '--json'], { cwd: dir, env, input: `${su.accessToken}\n` });
    expect(r.code, r.stderr).toBe(0);
    const j = parseJsonOutput<ConnectJson>(r);
    expect(j.user.id).toBe(su.id);
    expect(j.userToken.kind).toBe('system_user');
    expect(j.userToken.expiresAt).not.toBeNull();
    expect(j.pages).toMatchObject([{ id: pageId, status: 'healthy', tokenExpiresAt: j.userToken.expiresAt }]);
    expect(r.stdout + r.stderr).not.toContain(su.accessToken);
    expect(readFileSync(dbFile).toString('latin1')).not.toContain(su.accessToken);

    const human = await runCli(['connect', '--system-user'], { cwd: dir, env, input: su.accessToken });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Connected system user Shop Bot/);
  });

  it('--pages names Pages that /me/accounts leaves out; bad ids, --pages alone and --browser are usage errors', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[1]!.id;
    const su = await emu.control.createSystemUser({ name: 'Quiet Bot', pages: [{ id: pageId }], accounts: 'empty' });
    const { dir, env } = envFor(emu);
    const ok = await runCli(['connect', '--system-user', '--pages', pageId, '--json'], { cwd: dir, env, input: su.accessToken });
    expect(ok.code, ok.stderr).toBe(0);
    expect(parseJsonOutput<ConnectJson>(ok).pages.map((p) => p.id)).toEqual([pageId]);

    const none = await runCli(['connect', '--system-user', '--json'], { cwd: dir, env, input: su.accessToken });
    expect(none.code).toBe(1);
    expect(none.stdout + none.stderr).toContain('PK_SYSTEM_USER_NO_PAGES');

    for (const args of [['--system-user', '--pages', 'abc'], ['--pages', pageId], ['--system-user', '--browser']]) {
      const bad = await runCli(['connect', ...args], { cwd: dir, env, input: su.accessToken });
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stdout + bad.stderr).toContain('PK_USAGE');
    }
  });
});

describe('pagekeeper connect --browser for a Business app', { timeout: 120_000 }, () => {
  it('with PAGEKEEPER_LOGIN_CONFIG_ID prints a config_id dialog URL and connects', async () => {
    const emu = await startTestEmulator();
    await emu.control.setApp({ type: 'business' });
    const { id: configId } = await emu.control.createLoginConfig({ permissions: ['pages_show_list', 'pages_messaging'], tokenType: 'user' });
    const { dir, env } = envFor(emu, { PAGEKEEPER_LOGIN_CONFIG_ID: configId });
    let stderr = '';
    const running = runCli(['connect', '--browser', '--port', '0', '--no-open', '--json'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
    const started = Date.now();
    while (!/dialog\/oauth\?\S+/.test(stderr) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    const url = new URL(/(http:\/\/\S+\/dialog\/oauth\?\S+)/.exec(stderr)![1]!);
    expect(url.searchParams.get('config_id')).toBe(configId);
    expect(url.searchParams.has('scope')).toBe(false);
    const back = await loginThroughDialog(url.toString());
    expect((await fetch(back)).status).toBe(200);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonOutput<ConnectJson>(r).pages).toHaveLength(emu.users[0]!.pages.length);
  });

  it('without PAGEKEEPER_LOGIN_CONFIG_ID the dialog is not available, and the command says what that means', async () => {
    const emu = await startTestEmulator();
    await emu.control.setApp({ type: 'business' });
    const { dir, env } = envFor(emu);
    let stderr = '';
    const running = runCli(['connect', '--browser', '--port', '0', '--no-open'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
    const started = Date.now();
    while (!/isn't available/.test(stderr) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/"It looks like this app isn't available", the app is a Business app: set PAGEKEEPER_LOGIN_CONFIG_ID/);
    const url = new URL(/(http:\/\/\S+\/dialog\/oauth\?\S+)/.exec(stderr)![1]!);
    const dialog = (await (await fetch(url)).text()).replace(/&#39;/g, "'");
    expect(dialog).toContain("It looks like this app isn't available");
    // The person gives up: Facebook never redirects, so end the wait the way a cancelled login does.
    await fetch(`${url.searchParams.get('redirect_uri')}?error=access_denied&state=${url.searchParams.get('state')}`);
    const r = await running;
    expect(r.code).toBe(1);
  });

  it('doctor says which dialog is used and what "isn\'t available" means', async () => {
    const emu = await startTestEmulator();
    const { dir, env } = envFor(emu);
    const plain = parseJsonOutput<{ checks: { name: string; ok: boolean; detail: string }[] }>(await runCli(['doctor', '--json'], { cwd: dir, env }));
    const dialog = plain.checks.find((c) => c.name === 'login dialog')!;
    expect(dialog.detail).toMatch(/scope=.*Consumer-type app/);
    expect(dialog.detail).toMatch(/isn't available.*PAGEKEEPER_LOGIN_CONFIG_ID/);
    const business = parseJsonOutput<{ checks: { name: string; detail: string }[] }>(await runCli(['doctor', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_LOGIN_CONFIG_ID: '123456' } }));
    expect(business.checks.find((c) => c.name === 'login dialog')!.detail).toMatch(/config_id=123456 .*Business-type app/);
    const invalid = await runCli(['doctor', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_LOGIN_CONFIG_ID: 'my-config' } });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain('PAGEKEEPER_LOGIN_CONFIG_ID');
  });
});
