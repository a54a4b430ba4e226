import type { StoreRepositories } from './create-store.js';
import { pageTokenAad, userTokenAad } from './crypto/aad.js';

export const DEFAULT_ROTATION_BATCH_SIZE = 200;

export interface RotationProgress {
  table: 'users' | 'page_tokens';
  /** Rows re-encrypted so far in this run, all tables. */
  rotated: number;
}

export interface RotateKeysOptions {
  batchSize?: number;
  /** Called after each committed batch. Throwing stops the run; committed batches stay rotated. */
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
}

/**
 * `pagekeeper keys rotate`: re-encrypts every stored token whose key is not the active one.
 * Works in batches, each in its own transaction, walking rows in key order, so an interrupted
 * run leaves every row readable (under its old or the new key) and running again finishes the
 * job. A row changed by someone else meanwhile is left as they wrote it (the update is
 * conditional on the ciphertext read).
 * @returns how many rows this run re-encrypted and how many still use another key (0 unless
 *   another writer with an older key list wrote meanwhile).
 * @throws PK_KEY_UNKNOWN when a row's key is no longer in PAGEKEEPER_KEYS.
 */
export async function rotateKeys(store: StoreRepositories, options: RotateKeysOptions = {}): Promise<{ rotated: number; remaining: number }> {
  const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH_SIZE;
  const active = store.keyring.activeKeyId;
  let rotated = 0;

  let afterUser = '';
  for (;;) {
    const batch = await store.db
      .selectFrom('users')
      .select(['id', 'token_ciphertext', 'token_key_id'])
      .where('token_key_id', '!=', active)
      .where('id', '>', afterUser)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) break;
    await store.transaction(async (tx) => {
      for (const row of batch) {
        const aad = userTokenAad(row.id);
        const fresh = tx.keyring.encrypt(tx.keyring.decrypt(row.token_ciphertext, row.token_key_id, aad), aad);
        const result = await tx.db
          .updateTable('users')
          .set({ token_ciphertext: fresh.ciphertext, token_key_id: fresh.keyId })
          .where('id', '=', row.id)
          .where('token_ciphertext', '=', row.token_ciphertext)
          .executeTakeFirst();
        rotated += Number(result.numUpdatedRows);
      }
    });
    afterUser = batch[batch.length - 1]!.id;
    await options.onProgress?.({ table: 'users', rotated });
  }

  let after = { page: '', user: '' };
  for (;;) {
    const batch = await store.db
      .selectFrom('page_tokens')
      .select(['page_id', 'user_id', 'token_ciphertext', 'key_id'])
      .where('key_id', '!=', active)
      .where((eb) => eb.or([eb('page_id', '>', after.page), eb.and([eb('page_id', '=', after.page), eb('user_id', '>', after.user)])]))
      .orderBy('page_id')
      .orderBy('user_id')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) break;
    await store.transaction(async (tx) => {
      for (const row of batch) {
        const aad = pageTokenAad(row.page_id, row.user_id);
        const fresh = tx.keyring.encrypt(tx.keyring.decrypt(row.token_ciphertext, row.key_id, aad), aad);
        const result = await tx.db
          .updateTable('page_tokens')
          .set({ token_ciphertext: fresh.ciphertext, key_id: fresh.keyId })
          .where('page_id', '=', row.page_id)
          .where('user_id', '=', row.user_id)
          .where('token_ciphertext', '=', row.token_ciphertext)
          .executeTakeFirst();
        rotated += Number(result.numUpdatedRows);
      }
    });
    const last = batch[batch.length - 1]!;
    after = { page: last.page_id, user: last.user_id };
    await options.onProgress?.({ table: 'page_tokens', rotated });
  }

  const users = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('token_key_id', '!=', active).executeTakeFirstOrThrow();
  const tokens = await store.db.selectFrom('page_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('key_id', '!=', active).executeTakeFirstOrThrow();
  return { rotated, remaining: Number(users.n) + Number(tokens.n) };
}
