import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The memory of Facebook callbacks already acted on (table `callback_replays`), shared by every
 * instance on the database: the first to claim a signed_request acts, every later delivery of
 * the same value gets the stored answer.
 */
export interface CallbackReplayRepository {
  /**
   * Records `answer` for `key` unless the key is already recorded (and not expired).
   * @returns `first: true` when this call recorded it (the caller acts), else the stored answer.
   */
  claim(input: { key: string; purpose: string; answer: unknown; at: number; expiresAt: number }): Promise<{ first: boolean; answer: unknown }>;
  /** Forgets a claim whose action failed, so Facebook's retry is acted on. */
  release(key: string): Promise<void>;
}

export function createCallbackReplayRepository(db: Kysely<Database>): CallbackReplayRepository {
  return {
    async claim({ key, purpose, answer, at, expiresAt }) {
      // Expired memories go first: a value past its hour is refused as stale before this point.
      await db.deleteFrom('callback_replays').where('expires_at', '<=', at).execute();
      const inserted = await db
        .insertInto('callback_replays')
        .values({ key, purpose, answer: JSON.stringify(answer), seen_at: at, expires_at: expiresAt })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { first: true, answer };
      const row = await db.selectFrom('callback_replays').select(['answer']).where('key', '=', key).executeTakeFirst();
      return { first: false, answer: row ? (JSON.parse(row.answer) as unknown) : answer };
    },
    async release(key) {
      await db.deleteFrom('callback_replays').where('key', '=', key).execute();
    },
  };
}
