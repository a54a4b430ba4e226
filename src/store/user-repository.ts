import type { Kysely, Selectable } from 'kysely';
import type { TokenInvalidReason } from '../core/types.js';
import { userTokenAad } from './crypto/aad.js';
import type { Keyring } from './crypto/keyring.js';
import { inTransaction, parseStringArray, toDate, toMillis } from './row-mapping.js';
import type { Database, UsersTable } from './schema.js';
import type { StoredUser, StoredUserWithToken, UserInput } from './types.js';

export interface UserRepository {
  /**
   * Inserts or updates a user with their long-lived token (encrypted, bound to the user id).
   * Marks the user valid again; keeps `connectedAt` of an existing row.
   */
  upsert(user: UserInput): Promise<void>;
  /** The user without the token, or undefined. */
  get(id: string): Promise<StoredUser | undefined>;
  /** The user with the decrypted token, or undefined. @throws PK_DECRYPT_FAILED, PK_KEY_UNKNOWN */
  getWithToken(id: string): Promise<StoredUserWithToken | undefined>;
  /** Every user, by id, without tokens. */
  list(): Promise<StoredUser[]>;
  /** Marks the user's token invalid. @returns whether it was valid before. */
  markInvalid(id: string, reason: TokenInvalidReason): Promise<boolean>;
  /**
   * Data deletion: removes the user, their page tokens, and every page (with its conversations
   * and outbox messages) no other user grants. The audit log keeps its secret-free entries.
   * @returns the pages deleted with the user and whether the user existed.
   */
  deleteWithData(id: string): Promise<{ existed: boolean; deletedPageIds: string[] }>;
}

export function userFromRow(row: Selectable<UsersTable>): StoredUser {
  return {
    id: row.id,
    name: row.name,
    tokenKeyId: row.token_key_id,
    tokenExpiresAt: toDate(row.token_expires_at),
    dataAccessExpiresAt: toDate(row.data_access_expires_at),
    scopes: parseStringArray(row.scopes),
    status: row.status,
    invalidReason: row.invalid_reason as TokenInvalidReason | null,
    tokenKind: row.token_kind === 'system_user' ? 'system_user' : 'user',
    connectedAt: toDate(row.connected_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function createUserRepository(db: Kysely<Database>, keyring: Keyring, now: () => Date): UserRepository {
  return {
    async upsert(user) {
      const at = now().getTime();
      const { ciphertext, keyId } = keyring.encrypt(user.token, userTokenAad(user.id));
      const row = {
        id: user.id,
        name: user.name,
        token_ciphertext: ciphertext,
        token_key_id: keyId,
        token_expires_at: toMillis(user.tokenExpiresAt),
        data_access_expires_at: toMillis(user.dataAccessExpiresAt),
        scopes: JSON.stringify(user.scopes),
        status: 'valid' as const,
        invalid_reason: null,
        token_kind: user.tokenKind ?? 'user',
        connected_at: at,
        updated_at: at,
      };
      const { id: _id, connected_at: _c, ...update } = row;
      await db.insertInto('users').values(row).onConflict((oc) => oc.column('id').doUpdateSet(update)).execute();
    },

    async get(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && userFromRow(row);
    },

    async getWithToken(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      return { ...userFromRow(row), token: keyring.decrypt(row.token_ciphertext, row.token_key_id, userTokenAad(row.id)) };
    },

    async list() {
      const rows = await db.selectFrom('users').selectAll().orderBy('id').execute();
      return rows.map(userFromRow);
    },

    async markInvalid(id, reason) {
      const result = await db
        .updateTable('users')
        .set({ status: 'invalid', invalid_reason: reason, updated_at: now().getTime() })
        .where('id', '=', id)
        .where('status', '=', 'valid')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    deleteWithData(id) {
      return inTransaction(db, async (db) => {
      const granted = await db.selectFrom('page_tokens').select('page_id').where('user_id', '=', id).execute();
      const pageIds = granted.map((r) => r.page_id);
      const deleted = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      // page_tokens go with the user (on delete cascade); pages left without any grant go too.
      let deletedPageIds: string[] = [];
      if (pageIds.length > 0) {
        const stillGranted = await db.selectFrom('page_tokens').select('page_id').where('page_id', 'in', pageIds).execute();
        const kept = new Set(stillGranted.map((r) => r.page_id));
        deletedPageIds = pageIds.filter((p) => !kept.has(p)).sort();
        if (deletedPageIds.length > 0) {
          // The messages' history goes with them (migration 0013).
          await db.deleteFrom('outbox_history').where('message_id', 'in', db.selectFrom('outbox').select('id').where('page_id', 'in', deletedPageIds)).execute();
          await db.deleteFrom('outbox').where('page_id', 'in', deletedPageIds).execute();
          await db.deleteFrom('conversations').where('page_id', 'in', deletedPageIds).execute();
          // Instagram people are keyed by the linked account's id.
          const igIds = (await db.selectFrom('page_instagram').select('ig_id').where('page_id', 'in', deletedPageIds).execute()).flatMap((r) => (r.ig_id === null ? [] : [r.ig_id]));
          if (igIds.length > 0) await db.deleteFrom('conversations').where('page_id', 'in', igIds).execute();
          await db.deleteFrom('page_instagram').where('page_id', 'in', deletedPageIds).execute();
          await db.deleteFrom('pages').where('id', 'in', deletedPageIds).execute();
        }
      }
      return { existed: Number(deleted.numDeletedRows) > 0, deletedPageIds };
      });
    },
  };
}
