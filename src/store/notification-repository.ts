/**
 * The `notifications` table (one delivery per audit event and notifier, unique on both, so a
 * delivery survives restarts and is made once) and each notifier's cursor in the audit log
 * (kept in `meta`). The alert dispatcher (src/notify/create-alert-dispatcher.ts) decides what
 * and when; this only reads and writes the rows.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, NotificationsTable } from './schema.js';

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

/** One delivery of one event to one notifier. `payload` is the event as JSON text. */
export interface StoredNotification {
  id: number;
  eventId: number;
  notifier: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  deliveredAt: Date | null;
  payload: string;
}

export interface NotificationRepository {
  /** The notifier's position in the audit log, or undefined before it was ever set. */
  cursor(notifier: string): Promise<number | undefined>;
  /** Sets the cursor unless it is set already (a new notifier starts at `eventId`). */
  initCursor(notifier: string, eventId: number): Promise<void>;
  setCursor(notifier: string, eventId: number): Promise<void>;
  /** A pending delivery of the event to the notifier, unless one exists already. */
  enqueue(eventId: number, notifier: string, payload: string, at: Date): Promise<void>;
  /** Pending deliveries of these notifiers due at `now`, oldest first. */
  due(notifiers: readonly string[], now: Date, limit: number): Promise<StoredNotification[]>;
  markDelivered(id: number, attempts: number, at: Date): Promise<void>;
  /** A failed attempt: `pending` again at `nextAttemptAt`, or `failed` when given up. */
  markFailed(id: number, update: { attempts: number; giveUp: boolean; error: string; nextAttemptAt: Date }): Promise<void>;
}

const cursorKey = (notifier: string) => `notify.cursor.${notifier}`;

export function notificationFromRow(row: Selectable<NotificationsTable>): StoredNotification {
  return {
    id: Number(row.id),
    eventId: Number(row.event_id),
    notifier: row.notifier,
    status: row.status as NotificationStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)),
    lastError: row.last_error,
    deliveredAt: row.delivered_at === null ? null : new Date(Number(row.delivered_at)),
    payload: row.payload,
  };
}

export function createNotificationRepository(db: Kysely<Database>): NotificationRepository {
  return {
    async cursor(notifier) {
      const row = await db.selectFrom('meta').select('value').where('key', '=', cursorKey(notifier)).executeTakeFirst();
      return row === undefined ? undefined : Number(row.value);
    },

    async initCursor(notifier, eventId) {
      await db.insertInto('meta').values({ key: cursorKey(notifier), value: String(eventId) }).onConflict((oc) => oc.column('key').doNothing()).execute();
    },

    async setCursor(notifier, eventId) {
      await db.updateTable('meta').set({ value: String(eventId) }).where('key', '=', cursorKey(notifier)).execute();
    },

    async enqueue(eventId, notifier, payload, at) {
      await db
        .insertInto('notifications')
        .values({ event_id: eventId, notifier, status: 'pending', attempts: 0, next_attempt_at: at.getTime(), last_error: null, delivered_at: null, payload })
        .onConflict((oc) => oc.columns(['event_id', 'notifier']).doNothing())
        .execute();
    },

    async due(notifiers, now, limit) {
      if (notifiers.length === 0) return [];
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now.getTime())
        .where('notifier', 'in', notifiers)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(notificationFromRow);
    },

    async markDelivered(id, attempts, at) {
      await db.updateTable('notifications').set({ status: 'delivered', attempts, delivered_at: at.getTime(), last_error: null }).where('id', '=', id).execute();
    },

    async markFailed(id, update) {
      await db
        .updateTable('notifications')
        .set({ status: update.giveUp ? 'failed' : 'pending', attempts: update.attempts, last_error: update.error, next_attempt_at: update.nextAttemptAt.getTime() })
        .where('id', '=', id)
        .execute();
    },
  };
}
