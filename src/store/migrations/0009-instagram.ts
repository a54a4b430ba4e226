import { type Kysely, type Migration } from 'kysely';

/**
 * Instagram messaging through connected Pages (docs/instagram.md):
 * - `page_instagram`: the Instagram professional account linked to each Page, as connect read it
 *   from the Page fields `instagram_business_account` / `connected_instagram_account`
 *   (https://developers.facebook.com/docs/graph-api/reference/page/), with whether the Page's
 *   token carries `instagram_basic` and `instagram_manage_messages`. A row with a null `ig_id`
 *   records that connect found no linked account.
 * - `outbox.channel`: `messenger` (every row before this migration) or `instagram`.
 * Inbound times of Instagram people live in `conversations`, keyed by the Instagram account id
 * and the IGSID (ids Facebook never shares with Pages or PSIDs). Same DDL on SQLite and PostgreSQL.
 */
export function instagramMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('page_instagram')
        .addColumn('page_id', 'text', (c) => c.primaryKey())
        .addColumn('ig_id', 'text')
        .addColumn('username', 'text')
        /** `business` (instagram_business_account) or `connected` (connected_instagram_account only). */
        .addColumn('link', 'text')
        /** JSON array of the Instagram scopes the Page's token was granted for this account. */
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('checked_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('page_instagram_ig_id').on('page_instagram').column('ig_id').execute();
      await db.schema.alterTable('outbox').addColumn('channel', 'text', (c) => c.notNull().defaultTo('messenger')).execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('outbox').dropColumn('channel').execute();
      await db.schema.dropTable('page_instagram').ifExists().execute();
    },
  };
}
