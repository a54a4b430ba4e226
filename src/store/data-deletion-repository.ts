/**
 * The `data_deletions` table: Facebook's data deletion callback is answered with a confirmation
 * code the person can look up later; this records each request and when it completed.
 * https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
 */
import type { Kysely } from 'kysely';
import { toDate } from './row-mapping.js';
import type { Database } from './schema.js';

export interface DataDeletion {
  status: string;
  requestedAt: Date;
  completedAt: Date | null;
}

export interface DataDeletionRepository {
  /** Records a request as `pending`. */
  request(confirmationCode: string, userId: string, at: Date): Promise<void>;
  /** Marks the request `completed`. */
  complete(confirmationCode: string, at: Date): Promise<void>;
  /** The request's state, or undefined for an unknown code. */
  get(confirmationCode: string): Promise<DataDeletion | undefined>;
}

export function createDataDeletionRepository(db: Kysely<Database>): DataDeletionRepository {
  return {
    async request(confirmationCode, userId, at) {
      await db.insertInto('data_deletions').values({ confirmation_code: confirmationCode, user_id: userId, requested_at: at.getTime(), completed_at: null, status: 'pending' }).execute();
    },

    async complete(confirmationCode, at) {
      await db.updateTable('data_deletions').set({ status: 'completed', completed_at: at.getTime() }).where('confirmation_code', '=', confirmationCode).execute();
    },

    async get(confirmationCode) {
      const row = await db.selectFrom('data_deletions').select(['status', 'requested_at', 'completed_at']).where('confirmation_code', '=', confirmationCode).executeTakeFirst();
      return row && { status: row.status, requestedAt: toDate(row.requested_at), completedAt: toDate(row.completed_at) };
    },
  };
}
