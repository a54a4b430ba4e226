import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { TokenInvalidReason } from '../core/types.js';
import { pageTokenAad } from './crypto/aad.js';
import type { Keyring } from './crypto/keyring.js';
import { parseStringArray, toDate, toMillis } from './row-mapping.js';
import type { Database, PageTokensTable } from './schema.js';
import type { PageTokenCheck, PageTokenInput, StoredPageToken, StoredPageTokenWithToken, StoredTokenStatus } from './types.js';

export interface PageTokenRepository {
  /**
   * Inserts or updates the token one user grants for one page (encrypted, bound to page and
   * user). Marks it valid again (a reconnect heals it); keeps `createdAt` of an existing row.
   * The page and user rows must exist.
   */
  upsert(token: PageTokenInput): Promise<void>;
  /** One token's state, without the token, or undefined. */
  get(pageId: string, userId: string): Promise<StoredPageToken | undefined>;
  /** One token decrypted, or undefined. @throws PK_DECRYPT_FAILED, PK_KEY_UNKNOWN */
  getWithToken(pageId: string, userId: string): Promise<StoredPageTokenWithToken | undefined>;
  /** A page's tokens' states, without tokens. */
  listForPage(pageId: string): Promise<StoredPageToken[]>;
  /** The Pages one user granted a token for, by id (whatever its status). */
  pageIdsOfUser(userId: string): Promise<string[]>;
  /** The states of one user's tokens (whatever their status), without tokens, by page. */
  listForUser(userId: string): Promise<StoredPageToken[]>;
  /**
   * A page's valid tokens, decrypted, in failover order: messaging granted first, then the
   * oldest grant. Empty when the page has none (or does not exist).
   */
  getValidTokens(pageId: string): Promise<StoredPageTokenWithToken[]>;
  /**
   * The first of getValidTokens (the token in use), alone and with only whose grant it is: one
   * indexed row read and one decryption, the path behind `page(id).token()` on a cache miss.
   * Undefined when the page has no valid token.
   */
  getFirstValidToken(pageId: string): Promise<PageTokenInUse | undefined>;
  /** Every stored token's state (for sweeps), optionally only one status; by page then user. */
  listAll(filter?: { status?: StoredTokenStatus }): Promise<StoredPageToken[]>;
  /** Every stored token decrypted (for sweeps that inspect tokens); optionally only one status. */
  listAllWithTokens(filter?: { status?: StoredTokenStatus }): Promise<StoredPageTokenWithToken[]>;
  /**
   * Marks one token invalid. Only a valid token changes, so concurrent failures on the same
   * token make one transition. @returns whether this call changed it.
   */
  markInvalid(pageId: string, userId: string, invalid: { reason: TokenInvalidReason; subcode?: number | null }): Promise<boolean>;
  /** Marks every valid token a user granted invalid (deauthorize). @returns the pages whose token changed. */
  markInvalidForUser(userId: string, invalid: { reason: TokenInvalidReason; subcode?: number | null }): Promise<string[]>;
  /** Records what a health check learnt; only fields given are written. @returns whether the row exists. */
  recordCheck(pageId: string, userId: string, check: PageTokenCheck): Promise<boolean>;
  /**
   * recordCheck for many tokens at once (a sweep's chunk): on SQLite one statement prepared once
   * and run per row, instead of building and compiling a query per token. Atomic when called on
   * a transaction's repositories. @returns how many rows exist and were written.
   */
  recordChecks(checks: ReadonlyArray<{ pageId: string; userId: string; check: PageTokenCheck }>): Promise<number>;
}

/** A Page's token in use, decrypted, and the user whose grant it is. Never log `token`. */
export interface PageTokenInUse {
  pageId: string;
  userId: string;
  token: string;
}

type SecretColumns = Pick<Selectable<PageTokensTable>, 'page_id' | 'user_id' | 'token_ciphertext' | 'key_id'>;

export function pageTokenFromRow(row: Selectable<PageTokensTable>): StoredPageToken {
  return {
    pageId: row.page_id,
    userId: row.user_id,
    keyId: row.key_id,
    tasks: parseStringArray(row.tasks),
    status: row.status,
    invalidReason: row.invalid_reason as TokenInvalidReason | null,
    invalidSubcode: row.invalid_subcode,
    expiresAt: toDate(row.expires_at),
    dataAccessExpiresAt: toDate(row.data_access_expires_at),
    messagingGranted: Number(row.messaging_granted) === 1,
    tokenKind: row.token_kind === 'system_user' ? 'system_user' : 'user',
    lastCheckedAt: toDate(row.last_checked_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * recordCheck's UPDATE for SQLite, with only the fields given (as the Kysely query writes them);
 * the statement text depends only on which fields are given, so few statements are prepared.
 */
function recordCheckSql(check: PageTokenCheck, at: Date): { sql: string; values: Array<string | number | null> } {
  const sets: string[] = [];
  const values: Array<string | number | null> = [];
  if (check.tasks !== undefined) {
    sets.push('tasks = ?');
    values.push(JSON.stringify(check.tasks));
  }
  if (check.expiresAt !== undefined) {
    sets.push('expires_at = ?');
    values.push(toMillis(check.expiresAt));
  }
  if (check.dataAccessExpiresAt !== undefined) {
    sets.push('data_access_expires_at = ?');
    values.push(toMillis(check.dataAccessExpiresAt));
  }
  if (check.messagingGranted !== undefined) {
    sets.push('messaging_granted = ?');
    values.push(check.messagingGranted ? 1 : 0);
  }
  sets.push('last_checked_at = ?', 'updated_at = ?');
  values.push((check.checkedAt ?? at).getTime(), at.getTime());
  return { sql: `update page_tokens set ${sets.join(', ')} where page_id = ? and user_id = ?`, values };
}

// getValidTokens' failover order, first row only; the primary key (page_id, user_id) finds the rows.
const FIRST_VALID_SQL = "select page_id, user_id, token_ciphertext, key_id from page_tokens where page_id = ? and status = 'valid' order by messaging_granted desc, created_at, user_id limit 1";

/**
 * @param sqlite the raw handle under `db` when it is a SQLite database (not a transaction): the
 *   token read on a cache miss runs as a statement prepared once on it.
 */
export function createPageTokenRepository(db: Kysely<Database>, keyring: Keyring, now: () => Date, sqlite?: BetterSqlite3.Database): PageTokenRepository {
  let firstValid: BetterSqlite3.Statement<[string], SecretColumns> | undefined;
  const recordCheckStatements = new Map<string, BetterSqlite3.Statement>();
  const inUse = (row: SecretColumns): PageTokenInUse => ({
    pageId: row.page_id,
    userId: row.user_id,
    token: keyring.decrypt(row.token_ciphertext, row.key_id, pageTokenAad(row.page_id, row.user_id)),
  });

  const decrypted = (row: Selectable<PageTokensTable>): StoredPageTokenWithToken => ({
    ...pageTokenFromRow(row),
    token: keyring.decrypt(row.token_ciphertext, row.key_id, pageTokenAad(row.page_id, row.user_id)),
  });

  const allRows = (filter: { status?: StoredTokenStatus }) => {
    let query = db.selectFrom('page_tokens').selectAll().orderBy('page_id').orderBy('user_id');
    if (filter.status) query = query.where('status', '=', filter.status);
    return query.execute();
  };

  return {
    async upsert(token) {
      const at = now().getTime();
      const { ciphertext, keyId } = keyring.encrypt(token.token, pageTokenAad(token.pageId, token.userId));
      const update = {
        token_ciphertext: ciphertext,
        key_id: keyId,
        tasks: JSON.stringify(token.tasks),
        status: 'valid' as const,
        invalid_reason: null,
        invalid_subcode: null,
        expires_at: toMillis(token.expiresAt),
        data_access_expires_at: toMillis(token.dataAccessExpiresAt),
        messaging_granted: token.messagingGranted ? 1 : 0,
        token_kind: token.tokenKind ?? 'user',
        updated_at: at,
      };
      await db
        .insertInto('page_tokens')
        .values({ page_id: token.pageId, user_id: token.userId, created_at: at, last_checked_at: null, ...update })
        .onConflict((oc) => oc.columns(['page_id', 'user_id']).doUpdateSet(update))
        .execute();
    },

    async pageIdsOfUser(userId) {
      const rows = await db.selectFrom('page_tokens').select('page_id').where('user_id', '=', userId).orderBy('page_id').execute();
      return rows.map((r) => r.page_id);
    },

    async listForUser(userId) {
      const rows = await db.selectFrom('page_tokens').selectAll().where('user_id', '=', userId).orderBy('page_id').execute();
      return rows.map(pageTokenFromRow);
    },

    async get(pageId, userId) {
      const row = await db.selectFrom('page_tokens').selectAll().where('page_id', '=', pageId).where('user_id', '=', userId).executeTakeFirst();
      return row && pageTokenFromRow(row);
    },

    async getWithToken(pageId, userId) {
      const row = await db.selectFrom('page_tokens').selectAll().where('page_id', '=', pageId).where('user_id', '=', userId).executeTakeFirst();
      return row && decrypted(row);
    },

    async listForPage(pageId) {
      const rows = await db.selectFrom('page_tokens').selectAll().where('page_id', '=', pageId).orderBy('created_at').orderBy('user_id').execute();
      return rows.map(pageTokenFromRow);
    },

    async getValidTokens(pageId) {
      const rows = await db
        .selectFrom('page_tokens')
        .selectAll()
        .where('page_id', '=', pageId)
        .where('status', '=', 'valid')
        .orderBy('messaging_granted', 'desc')
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      return rows.map(decrypted);
    },

    async getFirstValidToken(pageId) {
      // While a Kysely transaction holds the shared connection, a direct read would see its
      // uncommitted rows; then the read waits its turn through Kysely like any other query.
      if (sqlite !== undefined && !sqlite.inTransaction) {
        firstValid ??= sqlite.prepare<[string], SecretColumns>(FIRST_VALID_SQL);
        const row = firstValid.get(pageId);
        return row && inUse(row);
      }
      const row = await db
        .selectFrom('page_tokens')
        .select(['page_id', 'user_id', 'token_ciphertext', 'key_id'])
        .where('page_id', '=', pageId)
        .where('status', '=', 'valid')
        .orderBy('messaging_granted', 'desc')
        .orderBy('created_at')
        .orderBy('user_id')
        .limit(1)
        .executeTakeFirst();
      return row && inUse(row);
    },

    async listAll(filter = {}) {
      return (await allRows(filter)).map(pageTokenFromRow);
    },

    async listAllWithTokens(filter = {}) {
      return (await allRows(filter)).map(decrypted);
    },

    async markInvalid(pageId, userId, invalid) {
      const result = await db
        .updateTable('page_tokens')
        .set({ status: 'invalid', invalid_reason: invalid.reason, invalid_subcode: invalid.subcode ?? null, updated_at: now().getTime() })
        .where('page_id', '=', pageId)
        .where('user_id', '=', userId)
        .where('status', '=', 'valid')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async markInvalidForUser(userId, invalid) {
      const rows = await db
        .updateTable('page_tokens')
        .set({ status: 'invalid', invalid_reason: invalid.reason, invalid_subcode: invalid.subcode ?? null, updated_at: now().getTime() })
        .where('user_id', '=', userId)
        .where('status', '=', 'valid')
        .returning('page_id')
        .execute();
      return rows.map((r) => r.page_id).sort();
    },

    async recordChecks(checks) {
      if (checks.length === 0) return 0;
      if (sqlite === undefined || !(db.isTransaction || !sqlite.inTransaction)) {
        let n = 0;
        for (const c of checks) if (await this.recordCheck(c.pageId, c.userId, c.check)) n++;
        return n;
      }
      const handle = sqlite;
      const run = () => {
        let n = 0;
        for (const { pageId, userId, check } of checks) {
          const { sql, values } = recordCheckSql(check, now());
          let stmt = recordCheckStatements.get(sql);
          if (stmt === undefined) recordCheckStatements.set(sql, (stmt = handle.prepare(sql)));
          n += stmt.run(...values, pageId, userId).changes;
        }
        return n;
      };
      // Inside our own transaction the handle is already in it; otherwise make the batch atomic.
      return db.isTransaction ? run() : handle.transaction(run)();
    },

    async recordCheck(pageId, userId, check) {
      const result = await db
        .updateTable('page_tokens')
        .set({
          ...(check.tasks === undefined ? {} : { tasks: JSON.stringify(check.tasks) }),
          ...(check.expiresAt === undefined ? {} : { expires_at: toMillis(check.expiresAt) }),
          ...(check.dataAccessExpiresAt === undefined ? {} : { data_access_expires_at: toMillis(check.dataAccessExpiresAt) }),
          ...(check.messagingGranted === undefined ? {} : { messaging_granted: check.messagingGranted ? 1 : 0 }),
          last_checked_at: (check.checkedAt ?? now()).getTime(),
          updated_at: now().getTime(),
        })
        .where('page_id', '=', pageId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
