/**
 * The database backends every store contract test runs against: SQLite (a temp file) always,
 * PostgreSQL when the machine has its binaries (skipped with a printed reason otherwise, except
 * on CI where test/helpers/postgres.ts throws instead). The same databases as every other
 * library-level suite's (test/helpers/databases.ts), one of each per test file.
 */
import { databaseBackends } from '../helpers/databases.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** PAGEKEEPER_DATABASE for this backend; undefined when skipped. */
  url: string | undefined;
  skipped: string | undefined;
  /** Kept for the callers' afterAll; the databases are dropped when the file's tests end. */
  stop(): Promise<void>;
}

/** One database per backend for the calling file (test/helpers/databases.ts makes and drops them). */
export async function backends(): Promise<Backend[]> {
  return Promise.all(
    (await databaseBackends('store')).map(async (db) => ({
      name: db.name,
      url: db.skipped ? undefined : await db.fresh(),
      skipped: db.skipped,
      stop: async () => {},
    })),
  );
}

/** Empties every table between tests (children first). */
export const ALL_TABLES = ['page_tokens', 'notifications', 'audit_log', 'outbox', 'conversations', 'api_keys', 'leases', 'data_deletions', 'pages', 'users'] as const;
