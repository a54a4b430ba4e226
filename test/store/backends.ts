/**
 * The database backends every store contract test runs against: SQLite (a temp file) always,
 * PostgreSQL when the machine has its binaries (skipped with a printed reason otherwise, except
 * on CI where test/helpers/postgres.ts throws instead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../helpers/postgres.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** PAGEKEEPER_DATABASE for this backend; undefined when skipped. */
  url: string | undefined;
  skipped: string | undefined;
  stop(): Promise<void>;
}

export async function backends(): Promise<Backend[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pk-store-'));
  const sqlite: Backend = {
    name: 'sqlite',
    url: `sqlite:${join(dir, 'store.db')}`,
    skipped: undefined,
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
  const pgResult = await startPostgres();
  const postgres: Backend =
    'skipped' in pgResult
      ? { name: 'postgres', url: undefined, skipped: pgResult.skipped, stop: async () => {} }
      : { name: 'postgres', url: pgResult.url, skipped: undefined, stop: pgResult.stop };
  if (postgres.skipped) console.log(`[store] PostgreSQL suite skipped: ${postgres.skipped}`);
  return [sqlite, postgres];
}

/** Empties every table between tests (children first). */
export const ALL_TABLES = ['page_tokens', 'notifications', 'audit_log', 'outbox', 'conversations', 'api_keys', 'leases', 'data_deletions', 'pages', 'users'] as const;
