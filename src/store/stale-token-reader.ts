/**
 * The health sweep's read: valid page tokens last checked before a cutoff (or never), least
 * recently checked first, by keyset (check time, page, user) so a sweep holds one chunk at a
 * time and resumes where it stopped. Only the rows the caller keeps are decrypted.
 */
import { sql, type Kysely } from 'kysely';
import { pageTokenAad } from './crypto/aad.js';
import type { Keyring } from './crypto/keyring.js';
import { parseStringArray } from './row-mapping.js';
import type { Database } from './schema.js';

/** Where a stale read stopped: the last row's (check time or -1, page, user). */
export interface StaleCursor {
  checkedAt: number;
  pageId: string;
  userId: string;
}

/** A stale token, decrypted. Never log `token`. */
export interface StaleToken {
  pageId: string;
  userId: string;
  token: string;
  /** The token's Page tasks, as last stored. */
  tasks: string[];
}

export interface StaleTokenReader {
  /**
   * Up to `limit` stale valid rows after `after`, decrypting those whose page `keep` accepts.
   * Rows swept meanwhile leave the stale range, so the keyset never sees a row twice.
   * @returns the kept tokens and the cursor of the next read (undefined when this was the last).
   */
  read(cutoff: number, after: StaleCursor | undefined, limit: number, keep: (pageId: string) => boolean): Promise<{ tokens: StaleToken[]; next: StaleCursor | undefined }>;
}

export function createStaleTokenReader(db: Kysely<Database>, keyring: Keyring): StaleTokenReader {
  return {
    async read(cutoff, after, limit, keep) {
      const checkedKey = sql<number>`coalesce(last_checked_at, -1)`;
      let query = db
        .selectFrom('page_tokens')
        .select(['page_id', 'user_id', 'token_ciphertext', 'key_id', 'last_checked_at', 'tasks'])
        .where('status', '=', 'valid')
        .where((eb) => eb.or([eb('last_checked_at', 'is', null), eb('last_checked_at', '<', cutoff)]));
      if (after) {
        query = query.where(
          sql<boolean>`(${checkedKey} > ${after.checkedAt} or (${checkedKey} = ${after.checkedAt} and (page_id > ${after.pageId} or (page_id = ${after.pageId} and user_id > ${after.userId}))))`,
        );
      }
      const rows = await query.orderBy(checkedKey).orderBy('page_id').orderBy('user_id').limit(limit).execute();
      const last = rows.at(-1);
      const tokens: StaleToken[] = [];
      for (const row of rows) {
        if (!keep(row.page_id)) continue;
        tokens.push({ pageId: row.page_id, userId: row.user_id, tasks: parseStringArray(row.tasks), token: keyring.decrypt(row.token_ciphertext, row.key_id, pageTokenAad(row.page_id, row.user_id)) });
      }
      const next = last && rows.length === limit ? { checkedAt: Number(last.last_checked_at ?? -1), pageId: last.page_id, userId: last.user_id } : undefined;
      return { tokens, next };
    },
  };
}
