/**
 * Outcomes of Facebook Login callbacks, by the sha256 of a random id (migration 0010): the
 * callback saves what happened and redirects to a result page naming only that id, so the
 * Login `code` and `state` leave the address bar and a refresh shows the result again without
 * running the callback. Rows expire after a few minutes; saving removes expired ones.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ConnectResultRepository {
  /** Saves the result under `id` until `expiresAt` (ms). */
  save(id: string, result: { status: number; body: string }, now: number, expiresAt: number): Promise<void>;
  /** The result while it has not expired. */
  get(id: string, now: number): Promise<{ status: number; body: string } | undefined>;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');

export function createConnectResultRepository(db: Kysely<Database>): ConnectResultRepository {
  return {
    async save(id, result, now, expiresAt) {
      await db.deleteFrom('connect_results').where('expires_at', '<=', now).execute();
      await db.insertInto('connect_results').values({ id_hash: hashOf(id), status: result.status, body: result.body, expires_at: expiresAt }).execute();
    },
    async get(id, now) {
      const row = await db.selectFrom('connect_results').select(['status', 'body']).where('id_hash', '=', hashOf(id)).where('expires_at', '>', now).executeTakeFirst();
      return row === undefined ? undefined : { status: Number(row.status), body: row.body };
    },
  };
}
