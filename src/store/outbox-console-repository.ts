/**
 * The operations console's reads and writes on the outbox (docs/operations-console.md): browsing with
 * filters, a message's history and retry links, cancelling a waiting message, retrying a failed
 * one as a new row, and removing a Page (its waiting messages cancelled, its tokens deleted).
 * The worker's own statements live in outbox-repository.ts; nothing here is on the send path.
 */
import type { Kysely } from 'kysely';
import { messageFromRow, type OutboxError, type OutboxMessage, type OutboxStatus } from './outbox-repository.js';
import type { Database } from './schema.js';

export interface BrowseFilter {
  status?: OutboxStatus;
  pageId?: string;
  /** Only these Pages (a key limited to some Pages). */
  pageIds?: readonly string[];
  /** Created at or after (ms). */
  since?: number;
  /** Created before (ms). */
  until?: number;
  /** Keyset paging: only messages older than this `seq` (newest first). */
  beforeSeq?: number;
  limit?: number;
}

/** A message with the links the console shows. */
export interface ConsoleMessage extends OutboxMessage {
  /** The message this one retries. */
  retryOf: string | null;
}

export interface HistoryEntry {
  at: Date;
  status: string;
  error: OutboxError | null;
  note: string | null;
}

export interface NewHistoryEntry {
  messageId: string;
  at: number;
  status: string;
  error?: OutboxError | null;
  note?: string | null;
}

/** Statuses an operator may cancel: not sent and not being sent. */
export const CANCELLABLE_STATUSES: readonly OutboxStatus[] = ['queued', 'held'];
/** Statuses an operator may retry: Facebook refused it, or its fate is not known. */
export const RETRYABLE_STATUSES: readonly OutboxStatus[] = ['failed', 'unknown'];

export const DEFAULT_BROWSE_LIMIT = 50;
const MAX_BROWSE_LIMIT = 500;
const CHUNK = 400;

export interface OutboxConsoleRepository {
  /** Newest first. */
  browse(filter?: BrowseFilter): Promise<ConsoleMessage[]>;
  get(id: string): Promise<ConsoleMessage | undefined>;
  /** The messages that retry this one (normally at most one). */
  retriesOf(id: string): Promise<string[]>;
  history(id: string): Promise<HistoryEntry[]>;
  appendHistory(entries: readonly NewHistoryEntry[]): Promise<void>;
  /**
   * Cancels a waiting message (queued and not claimed, or held). @returns the message after the
   * attempt; its status says whether it was cancelled.
   */
  cancel(id: string, now: number, note: string): Promise<ConsoleMessage | undefined>;
  /**
   * Inserts the retry of `old` under the idempotency key `retry of <old id>`: one retry per
   * message, whoever asks twice. @returns the retry and whether it existed already.
   */
  insertRetry(old: OutboxMessage, id: string, now: number): Promise<{ message: ConsoleMessage; existed: boolean }>;
  /**
   * Removes a Page: its waiting messages are cancelled, its tokens deleted, the Page marked
   * removed (a reconnect brings it back). @returns the cancelled messages' ids and the tokens deleted.
   */
  removePage(pageId: string, now: number): Promise<{ cancelled: string[]; tokensDeleted: number }>;
  /** How many people wrote to the Page at or after `since` (ms): those inside the 24-hour window. */
  openWindowCount(pageId: string, since: number): Promise<number>;
}

const toConsole = (r: Parameters<typeof messageFromRow>[0] & { retry_of: string | null }): ConsoleMessage => ({ ...messageFromRow(r), retryOf: r.retry_of });

export function retryIdempotencyKey(oldId: string): string {
  return `retry\u001f${oldId}`;
}

export function createOutboxConsoleRepository(db: Kysely<Database>): OutboxConsoleRepository {
  const byId = async (id: string) => {
    const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toConsole(row);
  };
  const cancelSet = (now: number, note: string) => ({
    status: 'cancelled' as const,
    claimed_by: null,
    claim_expires_at: null,
    error_code: null,
    error_subcode: null,
    error_message: note,
    updated_at: now,
  });

  const repo: OutboxConsoleRepository = {
    async browse(filter = {}) {
      let q = db.selectFrom('outbox').selectAll();
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.pageId !== undefined) q = q.where('page_id', '=', filter.pageId);
      if (filter.pageIds !== undefined) {
        if (filter.pageIds.length === 0) return [];
        q = q.where('page_id', 'in', filter.pageIds);
      }
      if (filter.since !== undefined) q = q.where('created_at', '>=', filter.since);
      if (filter.until !== undefined) q = q.where('created_at', '<', filter.until);
      if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
      const limit = Math.min(Math.max(1, filter.limit ?? DEFAULT_BROWSE_LIMIT), MAX_BROWSE_LIMIT);
      return (await q.orderBy('seq', 'desc').limit(limit).execute()).map(toConsole);
    },

    get: byId,

    async retriesOf(id) {
      const rows = await db.selectFrom('outbox').select('id').where('retry_of', '=', id).orderBy('seq').execute();
      return rows.map((r) => r.id);
    },

    async history(id) {
      const rows = await db.selectFrom('outbox_history').selectAll().where('message_id', '=', id).orderBy('id').execute();
      return rows.map((r) => {
        const hasError = r.error_code !== null || r.error_subcode !== null || r.error_message !== null;
        return {
          at: new Date(Number(r.at)),
          status: r.status,
          error: hasError ? { code: r.error_code === null ? null : Number(r.error_code), subcode: r.error_subcode === null ? null : Number(r.error_subcode), message: r.error_message } : null,
          note: r.note,
        };
      });
    },

    async appendHistory(entries) {
      for (let i = 0; i < entries.length; i += CHUNK) {
        const chunk = entries.slice(i, i + CHUNK);
        await db
          .insertInto('outbox_history')
          .values(
            chunk.map((e) => ({
              message_id: e.messageId,
              at: e.at,
              status: e.status,
              error_code: e.error?.code ?? null,
              error_subcode: e.error?.subcode ?? null,
              error_message: e.error?.message ?? null,
              note: e.note ?? null,
            })),
          )
          .execute();
      }
    },

    async cancel(id, now, note) {
      const done = await db
        .updateTable('outbox')
        .set(cancelSet(now, note))
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('status', '=', 'held'),
            // A queued message a worker has claimed may be on its way to Facebook: not cancelled.
            eb.and([eb('status', '=', 'queued'), eb.or([eb('claim_expires_at', 'is', null), eb('claim_expires_at', '<=', now)])]),
          ]),
        )
        .returning('id')
        .executeTakeFirst();
      if (done) await repo.appendHistory([{ messageId: id, at: now, status: 'cancelled', note }]);
      return byId(id);
    },

    async insertRetry(old, id, now) {
      const key = retryIdempotencyKey(old.id);
      const inserted = await db
        .insertInto('outbox')
        .values({
          id,
          page_id: old.pageId,
          psid: old.psid,
          idempotency_key: key,
          payload: old.payload,
          channel: old.channel,
          status: 'queued',
          at_least_once: old.atLeastOnce ? 1 : 0,
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
          retry_of: old.id,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      const row = await db.selectFrom('outbox').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow();
      if (inserted) await repo.appendHistory([{ messageId: old.id, at: now, status: old.status, note: `retried as ${id}` }]);
      return { message: toConsole(row), existed: inserted === undefined };
    },

    async removePage(pageId, now) {
      const note = 'Cancelled: the Page was removed from pagekeeper';
      const cancelled = await db
        .updateTable('outbox')
        .set(cancelSet(now, note))
        .where('page_id', '=', pageId)
        .where('status', 'in', ['queued', 'held'])
        .where((eb) => eb.or([eb('status', '=', 'held'), eb('claim_expires_at', 'is', null), eb('claim_expires_at', '<=', now)]))
        .returning('id')
        .execute();
      await repo.appendHistory(cancelled.map((r) => ({ messageId: r.id, at: now, status: 'cancelled', note })));
      const deleted = await db.deleteFrom('page_tokens').where('page_id', '=', pageId).executeTakeFirst();
      await db.updateTable('pages').set({ removed_at: now, updated_at: now }).where('id', '=', pageId).where('removed_at', 'is', null).execute();
      return { cancelled: cancelled.map((r) => r.id), tokensDeleted: Number(deleted.numDeletedRows) };
    },

    async openWindowCount(pageId, since) {
      const row = await db.selectFrom('conversations').select(db.fn.countAll<number>().as('n')).where('page_id', '=', pageId).where('last_inbound_at', '>=', since).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
  return repo;
}
