import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey } from '../tokens/setup.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('pagekeeper connect | pages | token | check, as a person runs them', () => {
  it('walks the whole flow, prints tokens only from `token`, and flags a password change', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const env = {
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_GRAPH_URL: emu.url,
      PAGEKEEPER_DIALOG_URL: emu.dialogUrl,
      PAGEKEEPER_KEYS: newKey(),
      PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}`,
    };
    const run = (args: string[], input?: string) => runCli(args, { cwd: dir, env, input });
    const outputs: string[] = [];

    const connected = await run(['connect', '--json'], `${user.shortLivedToken}\n`);
    outputs.push(connected.stdout, connected.stderr);
    expect(connected.code, connected.stderr).toBe(0);
    const c = parseJsonOutput<{
      user: { id: string; name: string };
      userToken: { expiresAt: string };
      pages: { id: string; name: string; tasks: string[]; tokenExpiresAt: null; dataAccessExpiresAt: string; status: string }[];
      added: string[];
      removed: string[];
    }>(connected);
    expect(Object.keys(c).sort()).toEqual(['added', 'pages', 'removed', 'user', 'userToken']);
    expect(c.user).toEqual({ id: user.id, name: user.name });
    expect(c.userToken.expiresAt).toMatch(ISO);
    expect(c.pages).toHaveLength(user.pages.length);
    for (const p of c.pages) {
      expect(Object.keys(p).sort()).toEqual(['dataAccessExpiresAt', 'id', 'name', 'status', 'subscription', 'tasks', 'tokenExpiresAt']);
      expect(p.tokenExpiresAt).toBeNull();
      expect(p.dataAccessExpiresAt).toMatch(ISO);
      expect(p.status).toBe('healthy');
    }

    const human = await run(['pages']);
    outputs.push(human.stdout, human.stderr);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/TOKEN EXPIRES/);
    expect(human.stdout).toMatch(/never/);
    expect(human.stdout).toMatch(/in (89|90) days/);
    expect(human.stdout.includes('\u001b[')).toBe(false);

    const pagesJson = parseJsonOutput<{ pages: Record<string, unknown>[] }>(await run(['pages', '--json']));
    expect(Object.keys(pagesJson.pages[0]!).sort()).toEqual(['dataAccessExpiresAt', 'id', 'instagram', 'lastCheckedAt', 'name', 'reason', 'status', 'subscription', 'tasks', 'tokenExpiresAt']);

    const token = await run(['token', user.pages[0]!.id]);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^\S+\n$/);
    const pageToken = token.stdout.trim();

    const check = await run(['check', '--json']);
    outputs.push(check.stdout, check.stderr);
    expect(check.code).toBe(0);
    expect(parseJsonOutput(check)).toMatchObject({ checked: user.pages.length, healthy: user.pages.length });

    await emu.control.event(user.id, 'password_changed');
    const flagged = await run(['check', '--json']);
    outputs.push(flagged.stdout, flagged.stderr);
    expect(flagged.code).toBe(1);
    const f = parseJsonOutput<{ pages: { id: string; status: string; reason: string; fix: string }[] }>(flagged);
    expect(Object.keys(f.pages[0]!).sort()).toEqual(['fix', 'id', 'reason', 'status']);
    expect(f.pages.every((p) => p.status === 'needs_reauth' && /password/i.test(p.reason) && p.fix)).toBe(true);
    const flaggedHuman = await run(['check']);
    outputs.push(flaggedHuman.stdout, flaggedHuman.stderr);
    expect(flaggedHuman.code).toBe(1);
    expect(flaggedHuman.stdout).toMatch(/need attention/);

    const noToken = await run(['token', user.pages[0]!.id]);
    outputs.push(noToken.stdout, noToken.stderr);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^error PK_NO_VALID_TOKEN: .*\| fix: /);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);

    for (const o of outputs) {
      expect(o).not.toContain(pageToken);
      expect(o).not.toContain(user.shortLivedToken);
      expect(o).not.toContain(emu.appSecret);
    }
    for (const file of readdirSync(dir).filter((x) => x.startsWith('pk.db'))) {
      expect(readFileSync(join(dir, file)).includes(Buffer.from(pageToken))).toBe(false);
    }
  }, 300_000);
});

describe('errors are one line with a stable code, exit 2 for usage and 1 for failures', { timeout: 120_000 }, () => {
  it('a token in argv is refused as a usage error, without echoing it', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const r = await runCli(['connect', emu.users[0]!.shortLivedToken], { cwd: dir, env: { PAGEKEEPER_KEYS: newKey() } });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(emu.users[0]!.shortLivedToken);
  });

  it('nothing on stdin is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const r = await runCli(['connect'], { cwd: dir, env: { PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_APP_ID: '1', PAGEKEEPER_APP_SECRET: 'secretsecret', PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'x.db')}` }, input: '\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error PK_USAGE: no token on stdin/);
  });

  it('no key: connect fails closed, names the key and how to make one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const r = await runCli(['connect', '--json'], { cwd: dir, env: { PAGEKEEPER_APP_ID: '1', PAGEKEEPER_APP_SECRET: 'secretsecret' }, input: 'EAAx\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error PK_KEYS_MISSING: .*\| fix: Run `pagekeeper init`/);
    expect(parseJsonOutput(r)).toMatchObject({ error: { code: 'PK_KEYS_MISSING' } });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('Graph unreachable is one line with PK_GRAPH_UNREACHABLE and exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const r = await runCli(['connect'], {
      cwd: dir,
      env: { PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_APP_ID: '1', PAGEKEEPER_APP_SECRET: 'secretsecret', PAGEKEEPER_GRAPH_URL: 'http://127.0.0.1:9', PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'x.db')}` },
      input: 'EAAxyz\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error PK_GRAPH_UNREACHABLE: /);
    expect(r.stderr).not.toContain('secretsecret');
  });

  it('token without a page id is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
    const r = await runCli(['token'], { cwd: dir, env: { PAGEKEEPER_KEYS: newKey() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error PK_USAGE: usage: pagekeeper token <page-id>/);
  });
});
