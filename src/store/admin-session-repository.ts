import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Dashboard sessions (table `admin_sessions`), so that logging out ends a session on every
 * instance. Only a SHA-256 of the session id is stored: a database reader cannot sign in.
 */
export interface AdminSessionRepository {
  create(id: string, at: number, expiresAt: number): Promise<void>;
  /** Whether the session exists and has not expired. */
  isActive(id: string, at: number): Promise<boolean>;
  end(id: string): Promise<void>;
}

const hash = (id: string) => createHash('sha256').update(`pagekeeper:admin-session:${id}`).digest('hex');

export function createAdminSessionRepository(db: Kysely<Database>): AdminSessionRepository {
  return {
    async create(id, at, expiresAt) {
      await db.deleteFrom('admin_sessions').where('expires_at', '<=', at).execute();
      await db.insertInto('admin_sessions').values({ id_hash: hash(id), created_at: at, expires_at: expiresAt }).execute();
    },
    async isActive(id, at) {
      const row = await db.selectFrom('admin_sessions').select(['expires_at']).where('id_hash', '=', hash(id)).executeTakeFirst();
      return row !== undefined && Number(row.expires_at) > at;
    },
    async end(id) {
      await db.deleteFrom('admin_sessions').where('id_hash', '=', hash(id)).execute();
    },
  };
}
