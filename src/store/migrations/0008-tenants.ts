import { type Kysely, type Migration } from 'kysely';

/** The id of the tenant that owns everything stored before tenants existed. */
export const DEFAULT_TENANT_ID = 'default';

/**
 * Tenants (the customers of a product built on pagekeeper), API keys scoped to a tenant and
 * some of its Pages, and connect sessions (single-use connect links). Today's data becomes the
 * default tenant's: its Pages, tokens, outbox and windows stay where they are, and every
 * existing API key keeps its reach (no tenant: an admin key).
 */
export function tenantsMigration(): Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
  type AnyDb = Kysely<any>;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('forward_url', 'text')
        .addColumn('alert_url', 'text')
        .addColumn('webhook_secret_ciphertext', 'text')
        .addColumn('webhook_secret_key_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      const at = Date.now();
      await db.insertInto('tenants').values({ id: DEFAULT_TENANT_ID, name: 'Default', created_at: at, updated_at: at }).execute();

      await db.schema.alterTable('api_keys').addColumn('tenant_id', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('page_ids', 'text').execute();

      await db.schema
        .createTable('connect_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('pages', 'text')
        .addColumn('link_hash', 'text', (c) => c.notNull().unique())
        .addColumn('state_hash', 'text', (c) => c.unique())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('result', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('connect_sessions_tenant').on('connect_sessions').columns(['tenant_id', 'created_at']).execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('connect_sessions').ifExists().execute();
      await db.schema.alterTable('api_keys').dropColumn('page_ids').execute();
      await db.schema.alterTable('api_keys').dropColumn('tenant_id').execute();
      await db.schema.dropTable('tenants').ifExists().execute();
    },
  };
}
