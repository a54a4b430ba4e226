/**
 * The `api_keys` table: the service's API keys, stored as SHA-256 hashes (the key itself is
 * shown once and never stored). Generating keys, checking their shape and caching lookups are
 * the service's (src/service/api-keys/).
 */
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { toDate } from './row-mapping.js';
import type { ApiKeysTable, Database } from './schema.js';

/** A stored key, without any key material. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ApiKeyRepository {
  insert(key: { id: string; name: string; scopes: readonly string[]; keyHash: string; at: number }): Promise<void>;
  /** Every key, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Sets revoked_at unless the key is revoked already (the first time is kept). */
  revoke(id: string, at: number): Promise<void>;
  /** The key whose hash this is, revoked or not. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  touch(id: string, at: number): Promise<void>;
}

const ScopesColumn = z.array(z.string());

export function apiKeyFromRow(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  let scopes: string[] = [];
  try {
    scopes = ScopesColumn.parse(JSON.parse(row.scopes));
  } catch {
    // A damaged scopes column grants nothing rather than failing every request.
  }
  return {
    id: row.id,
    name: row.name,
    scopes,
    createdAt: toDate(Number(row.created_at)),
    revokedAt: toDate(row.revoked_at === null ? null : Number(row.revoked_at)),
    lastUsedAt: toDate(row.last_used_at === null ? null : Number(row.last_used_at)),
  };
}

export function createApiKeyRepository(db: Kysely<Database>): ApiKeyRepository {
  return {
    async insert(key) {
      await db
        .insertInto('api_keys')
        .values({ id: key.id, name: key.name, scopes: JSON.stringify(key.scopes), key_hash: key.keyHash, created_at: key.at, revoked_at: null, last_used_at: null })
        .execute();
    },

    async list() {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      return rows.map(apiKeyFromRow);
    },

    async get(id) {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && apiKeyFromRow(row);
    },

    async revoke(id, at) {
      await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },

    async findByHash(keyHash) {
      const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return row && apiKeyFromRow(row);
    },

    async touch(id, at) {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
