import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { checkMigrations, migrateToLatest } from '../../src/store/migrate.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { openDatabase } from '../../src/store/open-database.js';
import { backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

const keys = generateKeyEntry();

describe.each(all)('migrations on $name', (backend) => {
  it.skipIf(backend.skipped !== undefined)('apply once, then again as a no-op, from several instances at once', async () => {
    const { db } = await openDatabase(backend.url!);
    try {
      const results = await Promise.all([1, 2, 3].map(() => createStore({ database: backend.url!, keys })));
      for (const s of results) await s.close();
      expect(await migrateToLatest(db)).toEqual([]);
      await expect(checkMigrations(db)).resolves.toBeUndefined();
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      for (const t of ['users', 'pages', 'page_tokens', 'audit_log', 'outbox', 'conversations', 'api_keys', 'notifications', 'leases', 'data_deletions', 'meta', 'callback_replays', 'admin_sessions']) {
        expect(tables).toContain(t);
      }
    } finally {
      await db.destroy();
    }
  });

  it.skipIf(backend.skipped !== undefined)('refuse to start an instance without migrating when the schema is behind', async () => {
    const { db } = await openDatabase(backend.url!);
    try {
      await sql`delete from kysely_migration`.execute(db);
      await expect(createStore({ database: backend.url!, keys, migrate: false })).rejects.toMatchObject({ code: 'PK_DB_MIGRATIONS_BEHIND' });
      // Marked applied again, every migration this version knows (not only the first one).
      for (const name of Object.keys(migrationsFor(backend.name))) {
        await sql`insert into kysely_migration (name, timestamp) values (${name}, '2030-01-01T00:00:00.000Z')`.execute(db);
      }
      const store = await createStore({ database: backend.url!, keys, migrate: false });
      await store.close();
    } finally {
      await db.destroy();
    }
  });

  it.skipIf(backend.skipped !== undefined)('refuse a database migrated by a newer pagekeeper', async () => {
    const { db } = await openDatabase(backend.url!);
    try {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(db);
      await expect(createStore({ database: backend.url!, keys })).rejects.toMatchObject({ code: 'PK_DB_AHEAD', message: expect.stringContaining('9999_future') });
      await expect(createStore({ database: backend.url!, keys, migrate: false })).rejects.toMatchObject({ code: 'PK_DB_AHEAD' });
      await sql`delete from kysely_migration where name = '9999_future'`.execute(db);
    } finally {
      await db.destroy();
    }
  });
});

describe('opening a database', () => {
  it('says clearly when PostgreSQL cannot be reached, without the password', async () => {
    const e = await createStore({ database: 'postgres://pk:hunter2secret@127.0.0.1:1/pk', keys, connectTimeoutMs: 2000 }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'PK_DB_UNREACHABLE' });
    expect((e as Error).message).toContain('127.0.0.1:1/pk');
    expect((e as Error).message).not.toContain('hunter2secret');
  });

  it('refuses an unknown database scheme', async () => {
    await expect(createStore({ database: 'mysql://x', keys })).rejects.toMatchObject({ code: 'PK_CONFIG_INVALID' });
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await createStore({ database: 'sqlite::memory:', keys });
    expect(store.location).toBe(':memory:');
    await store.close();
  });
});
