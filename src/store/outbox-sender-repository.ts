import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/** An instance's row for a Page. */
export interface SenderRow {
  senderId: string;
  /** Times the row was renewed: it grows by one at each of the instance's counts. */
  renewals: number;
}

/**
 * Which instances send for which Page right now (the `outbox_senders` table, migration 0014),
 * read and written by src/messenger/page-senders.ts. Every call is one statement per 500 Pages.
 */
export interface OutboxSenderRepository {
  /** `senderId` sends for these Pages until `expiresAt` (ms): inserts or renews their rows. */
  announce(senderId: string, pageIds: readonly string[], expiresAt: number): Promise<void>;
  /** `senderId` no longer sends for these Pages (every Page when `pageIds` is left out). */
  withdraw(senderId: string, pageIds?: readonly string[]): Promise<void>;
  /** The senders with a live row (expiring after `now`) for each of these Pages, with how often each row was renewed; a Page with none is absent. */
  list(pageIds: readonly string[], now: number): Promise<Map<string, SenderRow[]>>;
  /** Deletes rows that lapsed before `before` (their instance died without withdrawing). */
  prune(before: number): Promise<void>;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export function createOutboxSenderRepository(db: Kysely<Database>): OutboxSenderRepository {
  return {
    async announce(senderId, pageIds, expiresAt) {
      for (const part of chunks(pageIds)) {
        await db
          .insertInto('outbox_senders')
          .values(part.map((page_id) => ({ page_id, sender_id: senderId, expires_at: expiresAt })))
          .onConflict((oc) => oc.columns(['page_id', 'sender_id']).doUpdateSet({ expires_at: sql`excluded.expires_at`, renewals: sql`outbox_senders.renewals + 1` }))
          .execute();
      }
    },

    async withdraw(senderId, pageIds) {
      if (pageIds === undefined) {
        await db.deleteFrom('outbox_senders').where('sender_id', '=', senderId).execute();
        return;
      }
      for (const part of chunks(pageIds)) await db.deleteFrom('outbox_senders').where('sender_id', '=', senderId).where('page_id', 'in', part).execute();
    },

    async list(pageIds, now) {
      const byPage = new Map<string, SenderRow[]>();
      for (const part of chunks(pageIds)) {
        const rows = await db.selectFrom('outbox_senders').select(['page_id', 'sender_id', 'renewals']).where('page_id', 'in', part).where('expires_at', '>', now).execute();
        for (const r of rows) {
          const list = byPage.get(r.page_id) ?? [];
          list.push({ senderId: r.sender_id, renewals: Number(r.renewals) });
          byPage.set(r.page_id, list);
        }
      }
      return byPage;
    },

    async prune(before) {
      await db.deleteFrom('outbox_senders').where('expires_at', '<', before).execute();
    },
  };
}
