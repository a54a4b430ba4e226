import type { Kysely, Migration } from 'kysely';

/**
 * Two small tables the service needs to hold across instances:
 * - `callback_replays`: each signed_request a Facebook callback acted on (by hash, for the hour
 *   Facebook's value stays fresh) with the answer given, so a replay gets the same answer and
 *   nothing is done twice, whichever instance it reaches.
 * - `admin_sessions`: dashboard sessions by hash, so logging out ends the session everywhere.
 * Same statements on SQLite and PostgreSQL.
 */
export function callbackReplaysAndAdminSessionsMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('callback_replays')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('answer', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('callback_replays_expires_at').on('callback_replays').column('expires_at').execute();
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('admin_sessions_expires_at').on('admin_sessions').column('expires_at').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('admin_sessions').ifExists().execute();
      await db.schema.dropTable('callback_replays').ifExists().execute();
    },
  };
}
