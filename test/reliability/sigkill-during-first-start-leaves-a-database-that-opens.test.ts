/**
 * "restart recovers without manual steps": a command killed while it creates
 * and migrates a fresh database (the first thing every command does) leaves a file the next
 * command opens and finishes migrating by itself.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { runCliProcess, spawnCli } from '../helpers/cli-process.js';
import { killWhileWriting } from '../helpers/kill-mid-write.js';
import { newKey } from '../tokens/setup.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
/**
 * When to kill, as a share of the time a whole first start took from the moment the database
 * file appeared to the exit (migrating, then the command itself), measured on this machine.
 */
const SHARES = SOAK ? [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] : [0, 0.2, 0.45, 0.7];

function tablesIn(dbFile: string): number {
  if (!existsSync(dbFile)) return 0;
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

it('a command killed while it migrates a new database leaves one the next command opens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-first-start-'));
  const env = { PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_APP_ID: '123456789', PAGEKEEPER_APP_SECRET: 'secret-for-a-test-only', PAGEKEEPER_GRAPH_URL: 'http://127.0.0.1:9' };
  const outcomes: string[] = [];
  const startOnce = async (dbFile: string, killAfterMs?: number) => {
    const run = spawnCli(['pages', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_DATABASE: `sqlite:${dbFile}` }, timeoutMs: 60_000 });
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited && !existsSync(dbFile)) await sleep(1);
    const appeared = performance.now();
    if (killAfterMs !== undefined) {
      if (killAfterMs > 0) await sleep(killAfterMs);
      run.child.kill('SIGKILL');
    }
    const r = await run.done;
    return { ...r, afterFileMs: performance.now() - appeared };
  };
  const reference = await startOnce(join(dir, 'reference.db'));
  expect(reference.code, reference.stderr).toBe(0);

  for (const share of SHARES) {
    const delay = Math.round(share * reference.afterFileMs);
    const dbFile = join(dir, `pk-${delay}.db`);
    const dbEnv = { ...env, PAGEKEEPER_DATABASE: `sqlite:${dbFile}` };
    const killed = await startOnce(dbFile, delay);
    outcomes.push(`${delay} ms: ${killed.signal ?? `exit ${killed.code}`}, ${tablesIn(dbFile)} tables left`);

    // The next start opens it, migrates what is left and works.
    const next = await runCliProcess(['pages', '--json'], { cwd: dir, env: dbEnv, timeoutMs: 60_000 });
    expect(next.code, `after a kill ${delay} ms into the first start: ${next.stderr}`).toBe(0);
    expect(JSON.parse(next.stdout)).toEqual(expect.anything());
    rmSync(dbFile, { force: true });
  }
  expect(outcomes).toHaveLength(SHARES.length);

  // The kills above are aimed by time and may all miss the migration. This one is aimed by the
  // database: the command is frozen until it holds SQLite's write lock (the migration's
  // transaction is open), then killed; the file it leaves must hold nothing half-made and open.
  const fullSchema = tablesIn(join(dir, 'reference.db'));
  expect(fullSchema).toBeGreaterThan(5);
  let caught = 0;
  const NTH = [2, 5, 10, 20, 35];
  for (const [attempt, nth] of NTH.entries()) {
    const dbFile = join(dir, `pk-mid-${attempt}.db`);
    const run = spawnCli(['pages', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_DATABASE: `sqlite:${dbFile}` }, timeoutMs: 60_000 });
    let exited = false;
    void run.done.then(() => (exited = true));
    // Killed at the nth sample that finds the lock held: the later, the deeper into the migration.
    const landed = await killWhileWriting(run.child, dbFile, () => exited, { nth });
    const r = await run.done;
    if (!landed) continue;
    caught++;
    expect(r.signal).toBe('SIGKILL');
    // The migration is one transaction: the schema is not there at all or all there, never half.
    expect([0, fullSchema], `killed at lock sample ${nth}`).toContain(tablesIn(dbFile));
    const next = await runCliProcess(['pages', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_DATABASE: `sqlite:${dbFile}` }, timeoutMs: 60_000 });
    expect(next.code, next.stderr).toBe(0);
    expect(tablesIn(dbFile)).toBe(fullSchema);
  }
  expect(caught, 'kills that landed while the migration was writing').toBeGreaterThanOrEqual(2);
}, 120_000);
