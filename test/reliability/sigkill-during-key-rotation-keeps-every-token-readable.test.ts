/**
 * `pagekeeper keys rotate` killed with SIGKILL part-way leaves every stored
 * token readable with the keyring that holds both keys, and running it again (no manual step)
 * finishes the job: every row on the new key, every token the same as before.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { spawnCli, runCliProcess } from '../helpers/cli-process.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const USERS = 10;
const PAGES_PER_USER = SOAK ? 800 : 200;
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

async function seed(store: Store): Promise<Map<string, string>> {
  const plaintexts = new Map<string, string>();
  await store.transaction(async (tx) => {
    for (let u = 0; u < USERS; u++) {
      const userId = String(100000000000000 + u);
      const userToken = `EAAuser${randomBytes(40).toString('base64url')}`;
      plaintexts.set(`user:${userId}`, userToken);
      await tx.users.upsert({ id: userId, name: `User ${u}`, token: userToken, tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: ['pages_show_list'] });
      for (let p = 0; p < PAGES_PER_USER; p++) {
        const pageId = String(200000000000000 + u * 10_000 + p);
        const token = `EAApage${randomBytes(40).toString('base64url')}`;
        plaintexts.set(`page:${pageId}:${userId}`, token);
        await tx.pages.upsert({ id: pageId, name: `Page ${p}`, category: null });
        await tx.pageTokens.upsert({ pageId, userId, token, tasks: ['MESSAGING'], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
      }
    }
  });
  return plaintexts;
}

/** Every stored token, decrypted through the store with `keys`; throws if any row does not decrypt. */
async function readAll(database: string, keys: string): Promise<Map<string, string>> {
  const store = await createStore({ database, keys });
  try {
    const out = new Map<string, string>();
    for (const u of await store.users.list()) out.set(`user:${u.id}`, (await store.users.getWithToken(u.id))!.token);
    for (const t of await store.pageTokens.listAllWithTokens()) out.set(`page:${t.pageId}:${t.userId}`, t.token);
    return out;
  } finally {
    await store.close();
  }
}

function keyCounts(dbFile: string): Record<string, number> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT key_id AS k, COUNT(*) AS n FROM page_tokens GROUP BY key_id UNION ALL SELECT token_key_id AS k, COUNT(*) AS n FROM users GROUP BY token_key_id').all() as { k: string; n: number }[];
    const out: Record<string, number> = {};
    for (const r of rows) out[r.k] = (out[r.k] ?? 0) + r.n;
    return out;
  } finally {
    db.close();
  }
}

it('a rotation killed mid-way leaves every token readable, and running it again finishes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-rotate-kill-'));
  const dbFile = join(dir, 'pk.db');
  const database = `sqlite:${dbFile}`;
  const k1 = key('k1');
  const k2 = key('k2');
  const seeded = await createStore({ database, keys: k1 });
  const plaintexts = await seed(seeded);
  await seeded.close();
  const total = plaintexts.size;
  const both = `${k2},${k1}`;
  const env = { PAGEKEEPER_DATABASE: database, PAGEKEEPER_KEYS: both };

  // Kill two runs at different depths; each resumes from what the previous one committed.
  for (const killAfter of [Math.floor(total * 0.1), Math.floor(total * 0.5)]) {
    const run = spawnCli(['keys', 'rotate', '--batch-size', '2', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited && (keyCounts(dbFile).k2 ?? 0) < killAfter) await sleep(2);
    run.child.kill('SIGKILL');
    const r = await run.done;
    expect(r.signal, `rotation finished before it could be killed: ${r.stdout}${r.stderr}`).toBe('SIGKILL');

    const counts = keyCounts(dbFile);
    expect((counts.k1 ?? 0) + (counts.k2 ?? 0)).toBe(total);
    expect(counts.k2).toBeGreaterThanOrEqual(killAfter);
    expect(counts.k1).toBeGreaterThan(0);
    // Half old key, half new: every row still decrypts to the token it held.
    expect(await readAll(database, both)).toEqual(plaintexts);
  }

  const finished = await runCliProcess(['keys', 'rotate', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
  expect(finished.code, finished.stderr).toBe(0);
  expect(JSON.parse(finished.stdout)).toMatchObject({ activeKeyId: 'k2', remaining: 0 });
  expect(keyCounts(dbFile)).toEqual({ k2: total });
  // The old key can go: the new one alone reads everything.
  expect(await readAll(database, k2)).toEqual(plaintexts);
}, 120_000);
