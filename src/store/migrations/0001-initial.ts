import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../open-database.js';

/**
 * The first schema, written once for SQLite and PostgreSQL with the schema builder. The only
 * dialect branch is the auto-increment column: SQLite needs exactly `integer primary key
 * autoincrement`, PostgreSQL `bigserial`. Timestamps are `bigint` unix milliseconds on both
 * (SQLite gives `bigint` integer affinity).
 */
export function initialMigration(dialect: Dialect): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  const serialType = dialect === 'postgres' ? 'bigserial' : 'integer';

  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_ciphertext', 'text', (c) => c.notNull())
        .addColumn('token_key_id', 'text', (c) => c.notNull())
        .addColumn('token_expires_at', 'bigint')
        .addColumn('data_access_expires_at', 'bigint')
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('valid'))
        .addColumn('invalid_reason', 'text')
        .addColumn('connected_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_token_key_id').on('users').column('token_key_id').execute();

      await db.schema
        .createTable('pages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('category', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('healthy'))
        .addColumn('reason', 'text')
        .addColumn('fix', 'text')
        .addColumn('warning', 'text')
        .addColumn('last_checked_at', 'bigint')
        .addColumn('connected_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('removed_at', 'bigint')
        .execute();

      await db.schema
        .createTable('page_tokens')
        .addColumn('page_id', 'text', (c) => c.notNull().references('pages.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_ciphertext', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('tasks', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('valid'))
        .addColumn('invalid_reason', 'text')
        .addColumn('invalid_subcode', 'integer')
        .addColumn('expires_at', 'bigint')
        .addColumn('data_access_expires_at', 'bigint')
        .addColumn('messaging_granted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_checked_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('page_tokens_pk', ['page_id', 'user_id'])
        .execute();
      await db.schema.createIndex('page_tokens_user_id').on('page_tokens').column('user_id').execute();
      await db.schema.createIndex('page_tokens_key_id').on('page_tokens').column('key_id').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', serialType, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('page_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('old_state', 'text')
        .addColumn('new_state', 'text')
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_page_id').on('audit_log').columns(['page_id', 'id']).execute();

      await db.schema
        .createTable('outbox')
        // `seq` is the primary key because SQLite only auto-increments a primary key; it gives
        // the per-recipient order across instances, `id` is the public handle.
        .addColumn('seq', serialType, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('page_id', 'text', (c) => c.notNull())
        .addColumn('psid', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.unique())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
        .addColumn('at_least_once', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claim_expires_at', 'bigint')
        .addColumn('message_id', 'text')
        .addColumn('error_code', 'integer')
        .addColumn('error_subcode', 'integer')
        .addColumn('error_message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      await db.schema.createIndex('outbox_status_next').on('outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('outbox_recipient').on('outbox').columns(['page_id', 'psid', 'created_at']).execute();
      await db.schema.createIndex('outbox_recipient_seq').on('outbox').columns(['page_id', 'psid', 'seq']).execute();

      await db.schema
        .createTable('conversations')
        .addColumn('page_id', 'text', (c) => c.notNull())
        .addColumn('psid', 'text', (c) => c.notNull())
        .addColumn('last_inbound_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversations_pk', ['page_id', 'psid'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', serialType, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('event_id', 'bigint', (c) => c.notNull())
        .addColumn('notifier', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('delivered_at', 'bigint')
        .addColumn('payload', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notifications_status_next').on('notifications').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('notifications_event').on('notifications').columns(['event_id', 'notifier']).unique().execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('data_deletions')
        .addColumn('confirmation_code', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .addColumn('status', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.insertInto('meta').values({ key: 'schema_created_at', value: String(Date.now()) }).execute();
    },

    async down(db: AnyDb) {
      for (const table of ['meta', 'data_deletions', 'leases', 'notifications', 'api_keys', 'conversations', 'outbox', 'audit_log', 'page_tokens', 'pages', 'users']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
