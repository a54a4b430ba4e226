import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { openKeeper, tempDir } from './setup.js';
import { cliCommand } from '../helpers/cli-command.js';


describe('pagekeeper check --watch', () => {
  it('checks at once, keeps running, and stops cleanly on SIGINT with the totals', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const dir = tempDir();
    const dbFile = join(dir, 'pk.db');
    const { pk, keys } = await openKeeper(emu, { dbFile });
    await pk.connect(user.shortLivedToken);
    await pk.close();

    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_KEYS: keys,
      PAGEKEEPER_DATABASE: `sqlite:${dbFile}`,
      PAGEKEEPER_GRAPH_URL: emu.url,
    };
    const child = spawn(cliCommand()[0], [...cliCommand().slice(1), 'check', '--watch', '--every', '1h', '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The first round ran (tokens were just connected, so none is stale yet): interrupt.
      if (/checked \d+ tokens in \d+ calls/.test(stderr)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(killer);
    expect(stderr).toMatch(/checked 0 tokens in 0 calls; 0 lost; 0 pages changed/);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ rounds: 1, inspected: 0, invalidated: 0, changed: 0 });
  });

  it('refuses a duration it cannot read', async () => {
    const { parseDuration } = await import('../../src/health/parse-duration.js');
    expect(parseDuration('6h')).toBe(6 * 3600_000);
    expect(parseDuration('30m')).toBe(1800_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(() => parseDuration('soon')).toThrow(/--every/);
    expect(() => parseDuration('10ms')).toThrow(/at least 1s/);
  });
});
