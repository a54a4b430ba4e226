/**
 * A database that cannot be reached, or whose schema is behind, stops
 * `pagekeeper pages` and `pagekeeper serve` at once with the code and the fix, never a stack
 * trace, a hang, or the password from the URL. `pagekeeper migrate` brings the schema current.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every migration this version knows, in order, and the latest (the schema version). */
const ALL_MIGRATIONS = Object.keys(migrationsFor('sqlite')).sort();
const LATEST = ALL_MIGRATIONS.at(-1)!;

const baseEnv = { PAGEKEEPER_APP_ID: '1234', PAGEKEEPER_APP_SECRET: 'app-secret-value', PAGEKEEPER_KEYS: generateKeyEntry('k1') };

/** A 127.0.0.1 port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('an unreachable PostgreSQL', () => {
  it.each([['pages'], ['serve', '--port', '0']])('stops `pagekeeper %s` with PK_DB_UNREACHABLE and the fix, without the password', { timeout: 60_000 }, async (...args) => {
    const port = await closedPort();
    const r = await runCli([...args], { cwd: dir, env: { ...baseEnv, PAGEKEEPER_DATABASE: `postgres://pk:hunter2secret@127.0.0.1:${port}/pagekeeper` }, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error PK_DB_UNREACHABLE: The database cannot be reached: PostgreSQL at 127.0.0.1:${port}/pagekeeper`);
    expect(r.stderr).toContain('| fix: Check PAGEKEEPER_DATABASE and that the database server is running.');
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers --json with the error object', async () => {
    const port = await closedPort();
    const r = await runCli(['pages', '--json'], { cwd: dir, env: { ...baseEnv, PAGEKEEPER_DATABASE: `postgres://pk@127.0.0.1:${port}/pagekeeper` } });
    expect(r.code).toBe(1);
    expect(parseJsonOutput<{ error: { code: string; fix: string } }>(r).error).toMatchObject({ code: 'PK_DB_UNREACHABLE', fix: expect.stringContaining('PAGEKEEPER_DATABASE') });
  });
});

const pgResult = await startPostgres();
const skipped = 'skipped' in pgResult ? pgResult.skipped : undefined;
if (skipped) console.log(`[postgres] schema-behind suite skipped: ${skipped}`);
afterAll(async () => {
  if (!skipped) await (pgResult as PostgresHandle).stop();
});

describe.skipIf(skipped !== undefined)('a PostgreSQL schema that is behind', () => {
  // Five CLI runs in a row: generous under a loaded machine.
  it('is refused with PK_DB_MIGRATIONS_BEHIND until `pagekeeper migrate` runs, then works', { timeout: 120_000 }, async () => {
    const env = { ...baseEnv, PAGEKEEPER_DATABASE: (pgResult as PostgresHandle).url, PAGEKEEPER_DB_AUTO_MIGRATE: 'false' };

    for (const args of [['pages'], ['serve', '--port', '0']]) {
      const refused = await runCli(args, { cwd: dir, env, timeoutMs: 30_000 });
      expect(refused.code, args[0]).toBe(1);
      expect(refused.stderr).toContain(`error PK_DB_MIGRATIONS_BEHIND: The database schema is behind this version of pagekeeper (pending: ${ALL_MIGRATIONS.join(', ')}) | fix: Run \`pagekeeper migrate\``);
    }

    const migrated = await runCli(['migrate', '--json'], { cwd: dir, env });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(parseJsonOutput(migrated)).toMatchObject({ dialect: 'postgres', version: LATEST, applied: ALL_MIGRATIONS });

    const again = await runCli(['migrate'], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`is up to date (schema ${LATEST})`);

    const pages = await runCli(['pages'], { cwd: dir, env });
    expect(pages.code, pages.stderr).toBe(0);
    expect(pages.stdout).toContain('No pages connected yet');
  });
});

describe('pagekeeper migrate on SQLite', () => {
  it('creates the schema and reports the version', async () => {
    const env = { PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'fresh.db')}` };
    const r = await runCli(['migrate', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonOutput(r)).toMatchObject({ dialect: 'sqlite', version: LATEST, applied: ALL_MIGRATIONS });
  });

  it('refuses half a copy request', async () => {
    const r = await runCli(['migrate', '--to', 'sqlite:x.db'], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error PK_USAGE: copying needs --from DATABASE');
  });
});
