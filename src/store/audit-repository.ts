import type { Kysely, Selectable } from 'kysely';
import { parseJsonObject, toDate } from './row-mapping.js';
import type { AuditLogTable, Database } from './schema.js';
import type { AuditEntry, AuditInput } from './types.js';

export const DEFAULT_AUDIT_LIMIT = 50;

export interface AuditRepository {
  /** Appends one event (never a secret in any field). @returns its id. */
  append(entry: AuditInput): Promise<number>;
  /** Latest events first; filter by page, user, kind (`event`) and time (`since` inclusive, `until` exclusive); `beforeId` pages backwards. */
  list(options?: { limit?: number; pageId?: string; userId?: string; beforeId?: number; event?: string; since?: Date; until?: Date }): Promise<AuditEntry[]>;
  /** The kinds of event in the log, for the console's filter. */
  kinds(): Promise<string[]>;
  /** Events after `afterId`, oldest first (for notifiers catching up). */
  listAfter(afterId: number, limit?: number): Promise<AuditEntry[]>;
  /** The id of the latest event, 0 when the log is empty. */
  lastId(): Promise<number>;
  /** Deletes every event naming the user (their data deletion). */
  deleteForUser(userId: string): Promise<void>;
}

export function auditFromRow(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: toDate(row.at),
    event: row.event,
    pageId: row.page_id,
    userId: row.user_id,
    oldState: row.old_state,
    newState: row.new_state,
    reason: row.reason,
    detail: parseJsonObject(row.detail),
  };
}

export function createAuditRepository(db: Kysely<Database>, now: () => Date): AuditRepository {
  return {
    async append(entry) {
      const row = await db
        .insertInto('audit_log')
        .values({
          at: (entry.at ?? now()).getTime(),
          event: entry.event,
          page_id: entry.pageId ?? null,
          user_id: entry.userId ?? null,
          old_state: entry.oldState ?? null,
          new_state: entry.newState ?? null,
          reason: entry.reason ?? null,
          detail: entry.detail == null ? null : JSON.stringify(entry.detail),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },

    async list(options = {}) {
      let query = db
        .selectFrom('audit_log')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(options.limit ?? DEFAULT_AUDIT_LIMIT);
      if (options.pageId !== undefined) query = query.where('page_id', '=', options.pageId);
      if (options.userId !== undefined) query = query.where('user_id', '=', options.userId);
      if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId);
      if (options.event !== undefined) query = query.where('event', '=', options.event);
      if (options.since !== undefined) query = query.where('at', '>=', options.since.getTime());
      if (options.until !== undefined) query = query.where('at', '<', options.until.getTime());
      return (await query.execute()).map(auditFromRow);
    },

    async kinds() {
      const rows = await db.selectFrom('audit_log').select('event').distinct().orderBy('event').execute();
      return rows.map((r) => r.event);
    },

    async listAfter(afterId, limit = 500) {
      const rows = await db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
      return rows.map(auditFromRow);
    },

    async lastId() {
      const last = await db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return Number(last?.id ?? 0);
    },

    async deleteForUser(userId) {
      await db.deleteFrom('audit_log').where('user_id', '=', userId).execute();
    },
  };
}
