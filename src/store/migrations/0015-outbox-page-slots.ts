import { type Kysely, type Migration } from 'kysely';

/**
 * `outbox_page_slots`: each Page's send schedule shared by every instance on the database
 * (src/messenger/page-slots.ts). One row per throttle key; `next_us` is when the Page's next
 * free send slot starts (µs since the epoch), pushed forward by every reservation, so instances
 * take slots from one schedule instead of each pacing a share of the cap. `floor_us` and
 * `span_us` carry the reservation being made (the upsert reads them as `excluded`).
 * Replaces `outbox_senders` (migration 0014), whose per-instance shares it makes unnecessary.
 * Transient like `leases`: never copied between databases. Same DDL on SQLite and PostgreSQL.
 */
export function outboxPageSlotsMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox_page_slots')
        .addColumn('page_key', 'text', (c) => c.primaryKey())
        .addColumn('next_us', 'bigint', (c) => c.notNull())
        .addColumn('floor_us', 'bigint', (c) => c.notNull())
        .addColumn('span_us', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.dropTable('outbox_senders').ifExists().execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('outbox_page_slots').ifExists().execute();
    },
  };
}
