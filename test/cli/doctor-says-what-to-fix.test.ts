import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey } from '../tokens/setup.js';

interface Doctor {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

describe('pagekeeper doctor', { timeout: 120_000 }, () => {
  it('all ok against a reachable Graph with a valid app: exit 0, one line per check', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-doctor-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    const r = await runCli(['doctor', '--json'], { cwd: dir, env });
    const j = parseJsonOutput<Doctor>(r);
    expect(j.checks.map((c) => c.name)).toEqual(['config', 'key', 'database', 'graph', 'app token', 'version', 'webhooks (app)', 'login dialog', 'webhooks (pages)']);
    expect(j.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    const human = await runCli(['doctor'], { cwd: dir, env });
    expect(human.stdout).toMatch(/^ok {4}config/m);
    expect(human.stdout).not.toContain(emu.appSecret);
  });

  it('a missing key and a wrong app secret each fail with a fix; exit 1', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-doctor-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: 'not-the-secret-at-all', PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    const r = await runCli(['doctor', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const j = parseJsonOutput<Doctor>(r);
    const by = Object.fromEntries(j.checks.map((c) => [c.name, c]));
    expect(by.key).toMatchObject({ ok: false, fix: expect.stringContaining('pagekeeper init') });
    expect(by.graph?.ok).toBe(true);
    expect(by['app token']).toMatchObject({ ok: false, fix: expect.stringContaining('PAGEKEEPER_APP_SECRET') });
    expect(r.stdout).not.toContain('not-the-secret-at-all');
  });

  it('an unreachable Graph says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-doctor-'));
    const env = { PAGEKEEPER_APP_ID: '123', PAGEKEEPER_APP_SECRET: 'secretsecret', PAGEKEEPER_GRAPH_URL: 'http://127.0.0.1:9', PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    const r = await runCli(['doctor', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const graph = parseJsonOutput<Doctor>(r).checks.find((c) => c.name === 'graph');
    expect(graph).toMatchObject({ ok: false, detail: expect.stringContaining('PK_GRAPH_UNREACHABLE') });
  });
});
