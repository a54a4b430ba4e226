import { type Kysely, type Migration } from 'kysely';

/**
 * What pagekeeper knows of each Page's webhook subscription to the app
 * (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/): whether
 * the app is subscribed and with which fields, when that was last read or written, and, when
 * pagekeeper could not subscribe it, why and what to do. `subscribed` is null until first known.
 * Columns on `pages`, so copying and deleting a Page take them along.
 */
export function pageSubscriptionsMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  const columns = ['subscribed', 'subscribed_fields', 'subscription_checked_at', 'subscription_problem', 'subscription_fix'] as const;
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('pages').addColumn('subscribed', 'integer').execute();
      await db.schema.alterTable('pages').addColumn('subscribed_fields', 'text').execute();
      await db.schema.alterTable('pages').addColumn('subscription_checked_at', 'bigint').execute();
      await db.schema.alterTable('pages').addColumn('subscription_problem', 'text').execute();
      await db.schema.alterTable('pages').addColumn('subscription_fix', 'text').execute();
    },
    async down(db: AnyDb) {
      for (const c of [...columns].reverse()) await db.schema.alterTable('pages').dropColumn(c).execute();
    },
  };
}
