import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Whether a tenant with this id exists (without a keyring: nothing encrypted is read). */
export async function tenantExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
