/**
 * The `conversations` table: when each person last wrote to each Page, which opens the
 * Messenger window (24 h, 7 days with HUMAN_AGENT). Fed by the service's webhook through
 * `recordInbound`; read before every send so a send Facebook would refuse costs no Graph call.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ConversationsRepository {
  /** Records an inbound message; keeps the latest time (webhooks can arrive out of order). */
  recordInbound(pageId: string, psid: string, at: Date): Promise<void>;
  /** When the person last wrote to the Page, or null when they never did. */
  lastInboundAt(pageId: string, psid: string): Promise<Date | null>;
  /** The same for many people of several Pages at once, keyed by `conversationKey`. */
  lastInboundAtMany(pairs: ReadonlyArray<{ pageId: string; psid: string }>): Promise<Map<string, number>>;
}

/** The in-memory key of a (page, person) pair. */
export function conversationKey(pageId: string, psid: string): string {
  return `${pageId}\u0000${psid}`;
}

export function createConversationsRepository(db: Kysely<Database>): ConversationsRepository {
  return {
    async recordInbound(pageId, psid, at) {
      const ms = at.getTime();
      await db
        .insertInto('conversations')
        .values({ page_id: pageId, psid, last_inbound_at: ms })
        .onConflict((oc) =>
          oc
            .columns(['page_id', 'psid'])
            .doUpdateSet({ last_inbound_at: ms })
            .where('conversations.last_inbound_at', '<', ms),
        )
        .execute();
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
}
