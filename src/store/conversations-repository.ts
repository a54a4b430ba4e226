/**
 * The `conversations` table: when each person last wrote to each Page, which opens the
 * Messenger window (24 h, 7 days with HUMAN_AGENT). Fed by the service's webhook through
 * `recordInbound`; read before every send so a send Facebook would refuse costs no Graph call.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ConversationsRepository {
  /** Records an inbound message; keeps the latest time (webhooks can arrive out of order). */
  recordInbound(pageId: string, psid: string, at: Date): Promise<void>;
  /** The same for many messages at once (a webhook burst): one multi-row upsert per 500 people. */
  recordInboundMany(contacts: ReadonlyArray<{ pageId: string; psid: string; at: Date }>): Promise<void>;
  /** When the person last wrote to the Page, or null when they never did. */
  lastInboundAt(pageId: string, psid: string): Promise<Date | null>;
  /** The same for many people of several Pages at once, keyed by `conversationKey`. */
  lastInboundAtMany(pairs: ReadonlyArray<{ pageId: string; psid: string }>): Promise<Map<string, number>>;
}

/** The in-memory key of a (page, person) pair. */
export function conversationKey(pageId: string, psid: string): string {
  return `${pageId}\u0000${psid}`;
}

/** 3 bound values a row: far under SQLite's and PostgreSQL's limits on parameters. */
const INBOUND_ROWS_PER_STATEMENT = 500;

export function createConversationsRepository(db: Kysely<Database>): ConversationsRepository {
  const repo: ConversationsRepository = {
    recordInbound: (pageId, psid, at) => repo.recordInboundMany([{ pageId, psid, at }]),

    async recordInboundMany(contacts) {
      // A window never moves backwards (webhooks can arrive out of order).
      const latest = new Map<string, { page_id: string; psid: string; last_inbound_at: number }>();
      for (const c of contacts) {
        const k = conversationKey(c.pageId, c.psid);
        const ms = c.at.getTime();
        const prev = latest.get(k);
        // One row per key: PostgreSQL refuses to update a row twice in one statement.
        if (!prev || prev.last_inbound_at < ms) latest.set(k, { page_id: c.pageId, psid: c.psid, last_inbound_at: ms });
      }
      const rows = [...latest.values()];
      for (let i = 0; i < rows.length; i += INBOUND_ROWS_PER_STATEMENT) {
        await db
          .insertInto('conversations')
          .values(rows.slice(i, i + INBOUND_ROWS_PER_STATEMENT))
          .onConflict((oc) =>
            oc
              .columns(['page_id', 'psid'])
              .doUpdateSet({ last_inbound_at: sql<number>`excluded.last_inbound_at` })
              .where('conversations.last_inbound_at', '<', sql<number>`excluded.last_inbound_at`),
          )
          .execute();
      }
    },

    async lastInboundAt(pageId, psid) {
      const row = await db.selectFrom('conversations').select('last_inbound_at').where('page_id', '=', pageId).where('psid', '=', psid).executeTakeFirst();
      return row === undefined ? null : new Date(Number(row.last_inbound_at));
    },

    async lastInboundAtMany(pairs) {
      const out = new Map<string, number>();
      if (pairs.length === 0) return out;
      const pageIds = [...new Set(pairs.map((p) => p.pageId))];
      const psids = [...new Set(pairs.map((p) => p.psid))];
      // A superset (every page x every psid) filtered here: simpler than row-value IN on both dialects.
      const rows = await db
        .selectFrom('conversations')
        .select(['page_id', 'psid', 'last_inbound_at'])
        .where('page_id', 'in', pageIds)
        .where('psid', 'in', psids)
        .execute();
      for (const r of rows) out.set(conversationKey(r.page_id, r.psid), Number(r.last_inbound_at));
      return out;
    },
  };
  return repo;
}
