import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { rotateKeys } from '../../src/store/rotate-keys.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey } from '../tokens/setup.js';

function keyIds(dbFile: string): string[] {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    const rows = db.prepare('select key_id as k from page_tokens union all select token_key_id as k from users').all() as { k: string }[];
    return rows.map((r) => r.k).sort();
  } finally {
    db.close();
  }
}

describe('pagekeeper keys rotate', { timeout: 240_000 }, () => {
  it('finishes a rotation that was interrupted half-way, and tokens still work under the new key alone', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({ name: 'Rotator', pages: Array.from({ length: 6 }, (_, i) => ({ name: `R ${i}` })) });
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-keys-'));
    const dbFile = join(dir, 'pk.db');
    const oldKey = newKey('k1');
    const env = {
      PAGEKEEPER_APP_ID: emu.appId,
      PAGEKEEPER_APP_SECRET: emu.appSecret,
      PAGEKEEPER_GRAPH_URL: emu.url,
      PAGEKEEPER_KEYS: oldKey,
      PAGEKEEPER_DATABASE: `sqlite:${dbFile}`,
    };
    const connected = await runCli(['connect'], { cwd: dir, env, input: `${created.shortLivedToken}\n` });
    expect(connected.code, connected.stderr).toBe(0);
    const pageId = created.pages[0]!.id;
    const before = (await runCli(['token', pageId], { cwd: dir, env })).stdout.trim();

    const newKeys = `${newKey('k2')},${oldKey}`;
    // Interrupted: the process dies after the first committed batch of two rows.
    const store = await createStore({ database: `sqlite:${dbFile}`, keys: newKeys });
    await expect(
      rotateKeys(store, {
        batchSize: 2,
        onProgress: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    await store.close();
    const mixed = keyIds(dbFile);
    expect(mixed).toContain('k1');
    expect(mixed).toContain('k2');

    // Every row stays readable meanwhile, under whichever key it has.
    expect((await runCli(['token', pageId], { cwd: dir, env: { ...env, PAGEKEEPER_KEYS: newKeys } })).stdout.trim()).toBe(before);

    const resumed = await runCli(['keys', 'rotate', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_KEYS: newKeys } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const j = parseJsonOutput<{ activeKeyId: string; rotated: number; remaining: number }>(resumed);
    expect(j.activeKeyId).toBe('k2');
    expect(j.remaining).toBe(0);
    expect(j.rotated).toBe(mixed.filter((k) => k === 'k1').length);
    expect(new Set(keyIds(dbFile))).toEqual(new Set(['k2']));

    const onlyNew = newKeys.split(',')[0]!;
    const after = await runCli(['token', pageId], { cwd: dir, env: { ...env, PAGEKEEPER_KEYS: onlyNew } });
    expect(after.code).toBe(0);
    expect(after.stdout.trim()).toBe(before);

    // The old key alone can no longer read anything: a clear error naming the key.
    const stale = await runCli(['token', pageId], { cwd: dir, env: { ...env, PAGEKEEPER_KEYS: oldKey } });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error PK_KEY_UNKNOWN: .*"k2"/);
    expect(stale.stdout).toBe('');
  });

  it('anything but `keys rotate` is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-cli-keys-'));
    const r = await runCli(['keys', 'spin'], { cwd: dir, env: { PAGEKEEPER_KEYS: newKey() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error PK_USAGE: usage: pagekeeper keys rotate/);
  });
});
