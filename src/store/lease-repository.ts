import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface LeaseRepository {
  /**
   * Takes or renews the named lease for `holder` until `now + ttlMs`. Succeeds when the lease
   * is free, expired, or already held by `holder`; one atomic upsert, so two instances racing
   * cannot both win. @returns whether `holder` holds it now.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it. @returns whether it did. */
  release(name: string, holder: string): Promise<boolean>;
  /** The current holder and expiry, expired or not, or undefined. */
  get(name: string): Promise<{ holder: string; expiresAt: Date } | undefined>;
  /**
   * The names of the leases starting with `prefix` that are live at `now` (ms), e.g. outbox
   * workers' heartbeats; sorted, so every instance sees the same order (workers share people by it).
   */
  listLive(prefix: string, now: number): Promise<string[]>;
}

/** LIKE with the prefix's own wildcards escaped, so `outbox-worker:` cannot match more than itself. */
function nameStartsWith(prefix: string) {
  const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`name like ${pattern} escape '\\'`;
}

export function createLeaseRepository(db: Kysely<Database>, now: () => Date): LeaseRepository {
  return {
    async acquire(name, holder, ttlMs) {
      const at = now().getTime();
      const row = await db
        .insertInto('leases')
        .values({ name, holder, expires_at: at + ttlMs })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ holder, expires_at: at + ttlMs })
            .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<=', at)])),
        )
        .returning('holder')
        .executeTakeFirst();
      return row?.holder === holder;
    },

    async release(name, holder) {
      const result = await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async listLive(prefix, at) {
      const rows = await db.selectFrom('leases').select('name').where(nameStartsWith(prefix)).where('expires_at', '>', at).execute();
      // Sorted here, not by the database: SQLite and PostgreSQL collations order names differently.
      return rows.map((r) => r.name).sort();
    },

    async get(name) {
      const row = await db.selectFrom('leases').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
      return row && { holder: row.holder, expiresAt: new Date(Number(row.expires_at)) };
    },
  };
}
