/**
 * Migrations are numbered when work starts and can be released out of order: a database that
 * already ran 0007 must still get 0006 when it arrives, not refuse to start with "corrupted
 * migrations".
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { checkMigrations, migrateToLatest } from '../../src/store/migrate.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { openDatabase } from '../../src/store/open-database.js';

describe('a migration numbered before one already applied', () => {
  it('is applied, and the schema is then complete', async () => {
    const { db } = await openDatabase('sqlite::memory:');
    try {
      const all = migrationsFor('sqlite');
      const names = Object.keys(all).sort();
      expect(names.length).toBeGreaterThanOrEqual(3);
      const [first, skipped, ...later] = names as [string, string, ...string[]];
      // A database migrated by a release that had every migration but `skipped`.
      await migrateToLatest(db);
      await all[skipped]!.down!(db as never);
      await sql`delete from kysely_migration where name = ${skipped}`.execute(db);
      expect((await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name)).toEqual([first, ...later]);

      expect(await migrateToLatest(db)).toEqual([skipped]);
      await expect(checkMigrations(db)).resolves.toBeUndefined();
    } finally {
      await db.destroy();
    }
  });
});
