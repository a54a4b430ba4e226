import { type Kysely, type Migration } from 'kysely';

/**
 * Records what kind of Facebook token a connection was made with: a person's user token
 * (`user`, every row before this migration) or a system user's token (`system_user`, from
 * Business Settings > System Users or Facebook Login for Business). The kind decides how a
 * token is refreshed and which words explain its loss
 * (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens).
 * Page tokens carry their grantor's kind too, so health is judged from one row. Same DDL on
 * SQLite and PostgreSQL.
 */
export function tokenKindMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('users').addColumn('token_kind', 'text', (c) => c.notNull().defaultTo('user')).execute();
      await db.schema.alterTable('page_tokens').addColumn('token_kind', 'text', (c) => c.notNull().defaultTo('user')).execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('page_tokens').dropColumn('token_kind').execute();
      await db.schema.alterTable('users').dropColumn('token_kind').execute();
    },
  };
}
