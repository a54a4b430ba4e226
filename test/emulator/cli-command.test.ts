import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cliCommand } from '../helpers/cli-command.js';

const root = join(import.meta.dirname, '../..');

function runEmulator(args: string[]) {
  const child = spawn(cliCommand()[0], [...cliCommand().slice(1), 'emulator', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.slice(0, out.indexOf('\n'))));
    void exited.then((code) => reject(new Error(`exited ${code} before ready: ${err}`)));
  });
  ready.catch(() => undefined); // Tests that expect an early exit never await `ready`.
  return { child, ready, exited, output: () => ({ out, err }) };
}

describe('pagekeeper emulator (CLI)', () => {
  it('prints exactly one JSON line once listening, serves the seed, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pk-emu-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const seed = {
      app: { id: '123456789012345', secret: 'seed-secret-123', name: 'Seeded App' },
      users: [{ name: 'Seeded Person', pages: [{ name: 'Seeded Page', tasks: ['MESSAGING'] }] }],
    };
    await writeFile(join(dir, 'seed.json'), JSON.stringify(seed));
    const emu = runEmulator(['--seed', join(dir, 'seed.json')]);
    const info = JSON.parse(await emu.ready);
    expect(Object.keys(info)).toEqual(['url', 'dialogUrl', 'appId', 'appSecret', 'users']);
    expect(info).toMatchObject({ appId: '123456789012345', appSecret: 'seed-secret-123', users: [{ name: 'Seeded Person', pages: [{ name: 'Seeded Page', tasks: ['MESSAGING'] }] }] });
    const me = await fetch(`${info.url}/v25.0/me?access_token=${info.users[0].shortLivedToken}`);
    expect(await me.json()).toEqual({ name: 'Seeded Person', id: info.users[0].id });
    emu.child.kill('SIGTERM');
    expect(await emu.exited).toBe(0);
    expect(emu.output().out).toBe(`${emu.output().out.split('\n')[0]}\n`);
  });

  it('--latency MS:JITTER holds Graph answers back from the start; a malformed value is a usage error', async () => {
    const emu = runEmulator(['--latency', '120:0']);
    const info = JSON.parse(await emu.ready);
    expect(await (await fetch(`${info.url}/_emulator/latency`)).json()).toEqual({ ms: 120, jitterMs: 0, match: null });
    const t0 = performance.now();
    await (await fetch(`${info.url}/v25.0/me?access_token=${info.users[0].shortLivedToken}`)).json();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    emu.child.kill('SIGTERM');
    expect(await emu.exited).toBe(0);

    const bad = runEmulator(['--latency', 'fast']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().err).toContain('--latency must be MS or MS:JITTER_MS');
  });

  it('exits 0 on SIGINT too', async () => {
    const emu = runEmulator([]);
    await emu.ready;
    emu.child.kill('SIGINT');
    expect(await emu.exited).toBe(0);
  });

  it('refuses an invalid seed file with a usage error naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pk-emu-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'seed.json'), JSON.stringify({ users: [{ pages: [] }] }));
    const emu = runEmulator(['--seed', join(dir, 'seed.json')]);
    expect(await emu.exited).toBe(2);
    expect(emu.output().err).toMatch(/users\.0\.name/);
    expect(emu.output().out).toBe('');
  });
});
