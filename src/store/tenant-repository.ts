/**
 * The `tenants` table: the customers of a product built on pagekeeper, each with the id the
 * product chose, a name, and where its events and alerts go. The HMAC secret that signs them is
 * stored encrypted (AES-256-GCM under PAGEKEEPER_KEYS, bound to the tenant's id).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Keyring } from './crypto/keyring.js';
import { toDate } from './row-mapping.js';
import type { Database, TenantsTable } from './schema.js';

export interface StoredTenant {
  id: string;
  name: string;
  forwardUrl: string | null;
  alertUrl: string | null;
  /** Whether a signing secret is set (the secret itself only through webhookSecret()). */
  hasWebhookSecret: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface TenantWebhooks {
  forwardUrl: string | null;
  alertUrl: string | null;
  /** Plaintext HMAC key; stored encrypted. */
  secret: string;
}

export interface TenantRepository {
  /** @returns false when a tenant with this id exists already (nothing written). */
  insert(tenant: { id: string; name: string }): Promise<boolean>;
  get(id: string): Promise<StoredTenant | undefined>;
  /** Every tenant, by id. */
  list(): Promise<StoredTenant[]>;
  /** @returns whether a row was deleted. */
  delete(id: string): Promise<boolean>;
  /** @returns false when the tenant does not exist. */
  setWebhooks(id: string, webhooks: TenantWebhooks): Promise<boolean>;
  /** The tenant's webhook settings with the decrypted secret, or undefined when none is set. */
  webhooks(id: string): Promise<TenantWebhooks | undefined>;
}

function tenantAad(id: string): string {
  return `pagekeeper:tenant_webhook_secret:${id}`;
}

function tenantFromRow(row: Selectable<TenantsTable>): StoredTenant {
  return {
    id: row.id,
    name: row.name,
    forwardUrl: row.forward_url,
    alertUrl: row.alert_url,
    hasWebhookSecret: row.webhook_secret_ciphertext !== null,
    createdAt: toDate(Number(row.created_at)),
    updatedAt: toDate(Number(row.updated_at)),
  };
}

export function createTenantRepository(db: Kysely<Database>, keyring: Keyring, now: () => Date): TenantRepository {
  return {
    async insert(tenant) {
      const at = now().getTime();
      const result = await db
        .insertInto('tenants')
        .values({ id: tenant.id, name: tenant.name, forward_url: null, alert_url: null, webhook_secret_ciphertext: null, webhook_secret_key_id: null, created_at: at, updated_at: at })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async get(id) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && tenantFromRow(row);
    },

    async list() {
      return (await db.selectFrom('tenants').selectAll().orderBy('id').execute()).map(tenantFromRow);
    },

    async delete(id) {
      const result = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async setWebhooks(id, webhooks) {
      const { ciphertext, keyId } = keyring.encrypt(webhooks.secret, tenantAad(id));
      const result = await db
        .updateTable('tenants')
        .set({ forward_url: webhooks.forwardUrl, alert_url: webhooks.alertUrl, webhook_secret_ciphertext: ciphertext, webhook_secret_key_id: keyId, updated_at: now().getTime() })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async webhooks(id) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.webhook_secret_ciphertext === null || row.webhook_secret_key_id === null) return undefined;
      return { forwardUrl: row.forward_url, alertUrl: row.alert_url, secret: keyring.decrypt(row.webhook_secret_ciphertext, row.webhook_secret_key_id, tenantAad(id)) };
    },
  };
}
