import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { initialMigration } from '../../src/store/migrations/0001-initial.js';
import { openDatabase } from '../../src/store/open-database.js';
import { backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

/** 0007_token_kind on a database written before it: every stored connection was a person's. */
describe.each(all)('upgrading to token kinds on $name', (backend) => {
  it.skipIf(backend.skipped !== undefined)("rows stored before 0007 read as a person's token; new rows keep the kind they are given", async () => {
    const { db } = await openDatabase(backend.url!);
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema before 0007
      const old = db as unknown as Kysely<any>;
      await initialMigration(backend.name).up(old);
      await sql`create table kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(db);
      await sql`insert into kysely_migration (name, timestamp) values ('0001_initial', '2026-01-01T00:00:00.000Z')`.execute(db);
      await old.insertInto('users').values({ id: '100', name: 'Old Person', token_ciphertext: 'x', token_key_id: 'k', scopes: '[]', connected_at: 1, updated_at: 1 }).execute();
      await old.insertInto('pages').values({ id: '200', name: 'Old Page', connected_at: 1, updated_at: 1 }).execute();
      await old.insertInto('page_tokens').values({ page_id: '200', user_id: '100', token_ciphertext: 'x', key_id: 'k', created_at: 1, updated_at: 1 }).execute();
    } finally {
      await db.destroy();
    }

    const store = await createStore({ database: backend.url!, keys: generateKeyEntry('k2') });
    try {
      expect((await store.users.get('100'))?.tokenKind).toBe('user');
      expect((await store.pageTokens.listForPage('200')).map((t) => t.tokenKind)).toEqual(['user']);
      await store.users.upsert({ id: '101', name: 'Bot', token: 'EAAbot', tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: [], tokenKind: 'system_user' });
      expect((await store.users.get('101'))?.tokenKind).toBe('system_user');
    } finally {
      await store.close();
    }
  });
});
