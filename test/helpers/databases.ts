/**
 * The databases a library-level contract suite runs on: SQLite (a temp file)
 * always, PostgreSQL (a fresh database in this process's throwaway cluster) when the machine
 * has its binaries. Off CI without them the PostgreSQL half is skipped with a printed reason;
 * with CI=true test/helpers/postgres.ts throws instead, so CI cannot silently skip it.
 *
 *   const dbs = await databaseBackends('token flow');
 *   describe.each(dbs)('on $name', (db) => {
 *     beforeEach((ctx) => { if (db.skipped) ctx.skip(db.skipped); });
 *     it('...', async () => { const url = await db.fresh(); ... });
 *   });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startPostgres, type PostgresHandle } from './postgres.js';

export interface DatabaseBackend {
  name: 'sqlite' | 'postgres';
  /** Why this backend is skipped here, or undefined when it runs. */
  skipped: string | undefined;
  /** A PAGEKEEPER_DATABASE no other test uses; dropped when the file's tests end. */
  fresh(): Promise<string>;
}

/** Both backends; registers afterAll clean-up in the calling file. */
export async function databaseBackends(suite: string): Promise<DatabaseBackend[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pk-db-'));
  let files = 0;
  const handles: PostgresHandle[] = [];
  afterAll(async () => {
    for (const h of handles.splice(0)) await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = await startPostgres();
  const skipped = 'skipped' in probe ? probe.skipped : undefined;
  if (skipped) console.log(`[${suite}] PostgreSQL half skipped: ${skipped}`);
  else handles.push(probe as PostgresHandle);
  let unused = skipped ? undefined : (probe as PostgresHandle);

  return [
    { name: 'sqlite', skipped: undefined, fresh: async () => `sqlite:${join(dir, `db-${++files}.db`)}` },
    {
      name: 'postgres',
      skipped,
      async fresh() {
        if (skipped) throw new Error(skipped);
        // The probe's database serves the first caller; later callers get new ones.
        if (unused) {
          const url = unused.url;
          unused = undefined;
          return url;
        }
        const r = await startPostgres();
        if ('skipped' in r) throw new Error(r.skipped);
        handles.push(r);
        return r.url;
      },
    },
  ];
}
