/**
 * Reads and writes what pagekeeper knows of each Page's webhook subscription (the columns
 * migration 0003 added to `pages`). Built over any Kysely instance or transaction, so it
 * composes with `store.transaction`.
 */
import type { Kysely } from 'kysely';
import { parseStringArray, toDate } from './row-mapping.js';
import type { Database } from './schema.js';

/** A Page's subscription as last known; `subscribed` null = never read or written. */
export interface StoredSubscription {
  pageId: string;
  subscribed: boolean | null;
  fields: string[];
  checkedAt: Date | null;
  /** Why pagekeeper could not subscribe the Page (plain words), and what to do. */
  problem: string | null;
  fix: string | null;
}

export interface SubscriptionUpdate {
  subscribed: boolean;
  fields: readonly string[];
  checkedAt: Date;
  problem?: string | null;
  fix?: string | null;
}

export interface SubscriptionRepository {
  /** By Page id; Pages without a row are absent. */
  list(pageIds?: readonly string[]): Promise<Map<string, StoredSubscription>>;
  /**
   * Many Pages' updates at once (connect records 500, a sweep 50 per batch): one statement per
   * distinct update and 500 Pages, since most Pages share one (subscribed, with the same fields).
   */
  recordMany(records: ReadonlyArray<SubscriptionRecord>): Promise<void>;
}

export interface SubscriptionRecord extends SubscriptionUpdate {
  pageId: string;
}

const CHUNK = 500;

function columnsOf(u: SubscriptionUpdate) {
  return {
    subscribed: u.subscribed ? 1 : 0,
    subscribed_fields: JSON.stringify(u.fields),
    subscription_checked_at: u.checkedAt.getTime(),
    subscription_problem: u.problem ?? null,
    subscription_fix: u.fix ?? null,
  };
}

export function createSubscriptionRepository(db: Kysely<Database>): SubscriptionRepository {
  const columns = ['id', 'subscribed', 'subscribed_fields', 'subscription_checked_at', 'subscription_problem', 'subscription_fix'] as const;
  return {
    async list(pageIds) {
      const out = new Map<string, StoredSubscription>();
      const chunks: (readonly string[] | undefined)[] = [];
      if (pageIds === undefined) chunks.push(undefined);
      else for (let i = 0; i < pageIds.length; i += CHUNK) chunks.push(pageIds.slice(i, i + CHUNK));
      for (const ids of chunks) {
        if (ids !== undefined && ids.length === 0) continue;
        let q = db.selectFrom('pages').select(columns);
        if (ids !== undefined) q = q.where('id', 'in', ids);
        for (const r of await q.execute()) {
          out.set(r.id, {
            pageId: r.id,
            subscribed: r.subscribed === null ? null : Number(r.subscribed) === 1,
            fields: r.subscribed_fields === null ? [] : parseStringArray(r.subscribed_fields),
            checkedAt: toDate(r.subscription_checked_at),
            problem: r.subscription_problem,
            fix: r.subscription_fix,
          });
        }
      }
      return out;
    },
    async recordMany(records) {
      const byUpdate = new Map<string, { columns: ReturnType<typeof columnsOf>; pageIds: string[] }>();
      for (const r of records) {
        const columns = columnsOf(r);
        const key = JSON.stringify(columns);
        const group = byUpdate.get(key) ?? { columns, pageIds: [] };
        group.pageIds.push(r.pageId);
        byUpdate.set(key, group);
      }
      for (const { columns, pageIds } of byUpdate.values()) {
        for (let i = 0; i < pageIds.length; i += CHUNK) {
          await db.updateTable('pages').set(columns).where('id', 'in', pageIds.slice(i, i + CHUNK)).execute();
        }
      }
    },
  };
}
