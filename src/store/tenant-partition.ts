/**
 * Where a tenant's data lives. Each tenant other than the default one has its own partition of
 * the database: its own Pages, tokens, status, outbox and Messenger windows, so a Page two
 * tenants connect is held twice, separately, and no query of one tenant can reach another's
 * rows. On SQLite a partition is a file beside the main one (`pagekeeper.db-tenants/<id>.db`);
 * on PostgreSQL a schema in the same database (`pk_t_<hash of the id>`). The default tenant's
 * partition is the main database itself, which holds what was stored before tenants.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { DEFAULT_TENANT_ID } from './migrations/0008-tenants.js';
import { openDatabase } from './open-database.js';

export { DEFAULT_TENANT_ID };

/** A tenant id as the product chooses it: its own customer id, safe in a URL and a file name. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface TenantPartition {
  /** PAGEKEEPER_DATABASE-style location of the partition. */
  database: string;
  /** PostgreSQL schema, when the partition is one. */
  schema?: string;
}

/** The PostgreSQL schema of a tenant: a fixed prefix and a hash, so any allowed id maps to a plain identifier. */
export function tenantSchema(tenantId: string): string {
  return `pk_t_${createHash('sha256').update(tenantId, 'utf8').digest('hex').slice(0, 24)}`;
}

export function tenantPartition(database: string, tenantId: string): TenantPartition {
  if (tenantId === DEFAULT_TENANT_ID) return { database };
  if (database === 'sqlite::memory:') return { database };
  if (database.startsWith('sqlite:')) return { database: `${database}-tenants/${tenantId}.db` };
  return { database, schema: tenantSchema(tenantId) };
}

/** Deletes a tenant's partition and everything in it (tokens included). The default tenant's is never deleted. */
export async function dropTenantPartition(database: string, tenantId: string, cwd = process.cwd()): Promise<void> {
  if (tenantId === DEFAULT_TENANT_ID) return;
  const partition = tenantPartition(database, tenantId);
  if (partition.schema !== undefined) {
    const { db } = await openDatabase(database, { cwd });
    try {
      await sql`drop schema if exists ${sql.id(partition.schema)} cascade`.execute(db);
    } finally {
      await db.destroy();
    }
    return;
  }
  if (partition.database === 'sqlite::memory:') return;
  const file = resolve(cwd, partition.database.slice('sqlite:'.length));
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}
