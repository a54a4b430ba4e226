import { type Kysely, type Migration } from 'kysely';

/**
 * Counts behind the dashboard's charts (docs/dashboard-charts.md), small and bounded:
 * - `message_rollups`: per Page and time bucket, how many outbox messages ended sent, failed,
 *   held or unknown. `span` is `hour` (kept 48 hours) or `day` (kept 31 days); the outcome
 *   writer adds to both buckets in the transaction that records the outcomes. On PostgreSQL a
 *   bucket may have a few rows (`shard`), summed when read, so concurrent instances rarely wait
 *   on each other's row lock.
 * - `page_usage_rollups`: per Page and hour, the highest share (percent) of Facebook's rate
 *   budget the usage headers of its sends reported (X-Business-Use-Case-Usage), kept 48 hours.
 * - `page_status_rollups`: per hour, how many Pages were in each health status when the health
 *   sweep last looked in that hour, kept 31 days.
 * - `connect_results`: what a Facebook Login callback ended with, kept a few minutes so the
 *   browser is redirected to a result page that holds neither the Login `code` nor the `state`
 *   (Post/Redirect/Get: a refresh shows the result again and runs nothing). Keyed by the sha256
 *   of a random id; never holds a token.
 * Same DDL on SQLite and PostgreSQL.
 */
export function activityRollupsMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('message_rollups')
        .addColumn('page_id', 'text', (c) => c.notNull())
        .addColumn('span', 'text', (c) => c.notNull())
        /** Start of the bucket, unix ms (UTC hour or UTC day). */
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('unknown', 'integer', (c) => c.notNull().defaultTo(0))
        /** 0 on SQLite; on PostgreSQL one of a few, so instances writing the same Page's hour rarely wait on one row. */
        .addColumn('shard', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('message_rollups_pk', ['page_id', 'span', 'bucket', 'shard'])
        .execute();
      await db.schema.createIndex('message_rollups_span_bucket').on('message_rollups').columns(['span', 'bucket']).execute();
      await db.schema
        .createTable('page_usage_rollups')
        .addColumn('page_id', 'text', (c) => c.notNull())
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('max_percent', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('page_usage_rollups_pk', ['page_id', 'bucket'])
        .execute();
      await db.schema
        .createTable('page_status_rollups')
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('page_status_rollups_pk', ['bucket', 'status'])
        .execute();
      await db.schema
        .createTable('connect_results')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        /** The HTTP status the result page answers with. */
        .addColumn('status', 'integer', (c) => c.notNull())
        /** JSON of what the page shows (Pages, problems or an error message). */
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('connect_results').ifExists().execute();
      await db.schema.dropTable('page_status_rollups').ifExists().execute();
      await db.schema.dropTable('page_usage_rollups').ifExists().execute();
      await db.schema.dropTable('message_rollups').ifExists().execute();
    },
  };
}
