import { type Kysely, type Migration } from 'kysely';

/**
 * `outbox_senders`: which instances are sending for which Page right now, so a Page's Send API
 * budget is divided among the instances actually sending for it (src/messenger/page-senders.ts),
 * not among every live instance. One row per (Page, instance), renewed every quarter second
 * while the instance sends for the Page and deleted once it stops; a row whose instance died
 * lapses at `expires_at`. Transient like `leases`: never copied between databases.
 * Same DDL on SQLite and PostgreSQL.
 */
export function outboxSendersMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox_senders')
        .addColumn('page_id', 'text', (c) => c.notNull())
        .addColumn('sender_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        /** How often the row was renewed: a newcomer sees from it that the others have counted it since. */
        .addColumn('renewals', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('outbox_senders_pk', ['page_id', 'sender_id'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('outbox_senders').ifExists().execute();
    },
  };
}
