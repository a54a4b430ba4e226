import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../open-database.js';

/**
 * The operations console (docs/operations-console.md):
 * - `outbox.retry_of`: a retried message is a new row (a new idempotency key) pointing at the
 *   message it repeats; the old row is kept as it was.
 * - `outbox_history`: what happened to a message besides being sent (each failed attempt and its
 *   error, holds, resumes, crash recovery, an operator's retry or cancel). A plain send writes no
 *   row here: its times are on the message itself (created_at, sent_at), so the hot path stays
 *   one write per message.
 * - `audit_log (event, id)`: the audit log filtered by kind.
 * Same DDL on SQLite and PostgreSQL.
 */
export function outboxConsoleMigration(dialect: Dialect): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  const serialType = dialect === 'sqlite' ? 'integer' : 'bigserial';
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('outbox').addColumn('retry_of', 'text').execute();
      await db.schema.createIndex('outbox_retry_of').on('outbox').column('retry_of').execute();
      await db.schema
        .createTable('outbox_history')
        .addColumn('id', serialType, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error_code', 'integer')
        .addColumn('error_subcode', 'integer')
        .addColumn('error_message', 'text')
        /** What pagekeeper or the operator did (`retried as msg_...`, `cancelled`), in plain words. */
        .addColumn('note', 'text')
        .execute();
      await db.schema.createIndex('outbox_history_message').on('outbox_history').columns(['message_id', 'id']).execute();
      await db.schema.createIndex('audit_log_event').on('audit_log').columns(['event', 'id']).execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex('audit_log_event').ifExists().execute();
      await db.schema.dropTable('outbox_history').ifExists().execute();
      await db.schema.dropIndex('outbox_retry_of').ifExists().execute();
      await db.schema.alterTable('outbox').dropColumn('retry_of').execute();
    },
  };
}
