import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pk-serve-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}


describe('pagekeeper api-keys', () => {
  it('prints a key once, lists keys without it, and revokes', async () => {
    const cwd = tempDir();
    const env = { PAGEKEEPER_DATABASE: 'sqlite:keys.db' };
    const created = parseJsonOutput<{ id: string; name: string; scopes: string[]; key: string }>(await runCli(['api-keys', 'create', '--name', 'shop', '--scopes', 'pages:read,tokens:read', '--json'], { cwd, env }));
    expect(created).toMatchObject({ name: 'shop', scopes: ['pages:read', 'tokens:read'] });
    expect(created.key).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);

    const list = await runCli(['api-keys', 'list', '--json'], { cwd, env });
    expect(list.stdout).not.toContain(created.key);
    expect(parseJsonOutput<{ keys: { id: string; revokedAt: string | null }[] }>(list).keys).toEqual([expect.objectContaining({ id: created.id, revokedAt: null })]);

    const revoked = await runCli(['api-keys', 'revoke', created.id], { cwd, env });
    expect(revoked.code).toBe(0);
    expect(parseJsonOutput<{ keys: { revokedAt: string | null }[] }>(await runCli(['api-keys', 'list', '--json'], { cwd, env })).keys[0]!.revokedAt).not.toBeNull();

    const bad = await runCli(['api-keys', 'create', '--name', 'x', '--scopes', 'admin'], { cwd, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown scope');
    expect((await runCli(['api-keys', 'revoke', 'key_nope'], { cwd, env })).code).toBe(1);
    // Six cold CLI starts (tsx) in a row: room for a busy machine.
  }, 120_000);
});

describe('pagekeeper serve --emulator', () => {
  it('prints one JSON line once it listens, serves, and exits 0 on SIGTERM', async () => {
    const cwd = tempDir();
    const child = spawn(cliCommand()[0], [...cliCommand().slice(1), 'serve', '--emulator', '--dev', '--port', '0', '--json'], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', () => reject(new Error('serve exited before listening')));
    });
    const ready = JSON.parse(line) as { url: string; emulatorUrl: string };
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.emulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${ready.url}/healthz`)).status).toBe(200);
    const dash = await fetch(`${ready.url}/`);
    expect(dash.status).toBe(200);
    expect(await dash.text()).toContain('data-testid="connect-page"');
    const connect = await fetch(`${ready.url}/connect`, { redirect: 'manual' });
    expect(connect.headers.get('location')!.startsWith(`${ready.emulatorUrl}/`)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});
