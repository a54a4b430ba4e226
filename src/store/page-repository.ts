import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { Dialect } from './open-database.js';
import { pageTokenFromRow } from './page-token-repository.js';
import { inTransaction, toDate, toMillis } from './row-mapping.js';
import type { Database, PagesTable } from './schema.js';
import type { PageInput, PageStatusUpdate, PageWithTokens, StoredPage } from './types.js';

export interface PageRepository {
  /** Inserts or updates a page's name and category; a previously removed page is restored. Status is kept. */
  upsert(page: PageInput): Promise<{ created: boolean }>;
  get(id: string): Promise<StoredPage | undefined>;
  /**
   * Locks the page's row until the transaction ends (FOR UPDATE on PostgreSQL), so concurrent
   * re-judgements of one page run one after the other. SQLite runs one write transaction at a
   * time already, so there it does nothing.
   */
  lockForUpdate(id: string): Promise<void>;
  /** One page with its tokens' states (no token values), or undefined. */
  getWithTokens(id: string): Promise<PageWithTokens | undefined>;
  /** Pages by id with their tokens' states (no token values); removed pages only when asked. */
  list(options?: { includeRemoved?: boolean }): Promise<PageWithTokens[]>;
  /**
   * Writes the page's health. `reason`, `fix`, `warning` left out are cleared; `lastCheckedAt`
   * left out is kept. @returns the status before, or undefined when the page does not exist.
   */
  setStatus(id: string, update: PageStatusUpdate): Promise<{ previousStatus: StoredPage['status'] } | undefined>;
  /**
   * setStatus for many pages at once (a sweep's verdicts), in order: on SQLite two statements
   * prepared once and run per page. Atomic when called on a transaction's repositories.
   */
  setStatuses(updates: ReadonlyArray<{ id: string; update: PageStatusUpdate }>): Promise<Array<{ previousStatus: StoredPage['status'] } | undefined>>;
  /**
   * After a reconnect: drops the user's tokens for pages not in `grantedPageIds`, and marks
   * removed the pages no user grants any more.
   * @returns pages the user no longer grants (`revokedPageIds`) and those now removed altogether.
   */
  markRemovedForUser(userId: string, grantedPageIds: readonly string[]): Promise<{ revokedPageIds: string[]; removedPageIds: string[] }>;
}

export function pageFromRow(row: Selectable<PagesTable>): StoredPage {
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    status: row.status,
    reason: row.reason,
    fix: row.fix,
    warning: row.warning,
    lastCheckedAt: toDate(row.last_checked_at),
    connectedAt: toDate(row.connected_at),
    updatedAt: toDate(row.updated_at),
    removedAt: toDate(row.removed_at),
  };
}

/**
 * @param sqlite the raw handle under `db` on SQLite (see bindRepositories): setStatuses runs as
 *   statements prepared once on it.
 */
export function createPageRepository(db: Kysely<Database>, now: () => Date, sqlite?: BetterSqlite3.Database, dialect?: Dialect): PageRepository {
  let statusOf: BetterSqlite3.Statement<[string], { status: StoredPage['status'] }> | undefined;
  let writeStatus: BetterSqlite3.Statement | undefined;
  let writeStatusKeepChecked: BetterSqlite3.Statement | undefined;

  async function withTokens(pages: StoredPage[]): Promise<PageWithTokens[]> {
    if (pages.length === 0) return [];
    const tokenRows = await db
      .selectFrom('page_tokens')
      .selectAll()
      .where(
        'page_id',
        'in',
        pages.map((p) => p.id),
      )
      .orderBy('page_id')
      .orderBy('created_at')
      .orderBy('user_id')
      .execute();
    const byPage = new Map<string, PageWithTokens>(pages.map((p) => [p.id, { ...p, tokens: [] }]));
    for (const row of tokenRows) byPage.get(row.page_id)?.tokens.push(pageTokenFromRow(row));
    return [...byPage.values()];
  }

  return {
    async upsert(page) {
      const at = now().getTime();
      const existing = await db.selectFrom('pages').select('id').where('id', '=', page.id).executeTakeFirst();
      await db
        .insertInto('pages')
        .values({ id: page.id, name: page.name, category: page.category ?? null, status: 'healthy', connected_at: at, updated_at: at, removed_at: null })
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: page.name, category: page.category ?? null, updated_at: at, removed_at: null }))
        .execute();
      return { created: existing === undefined };
    },

    async get(id) {
      const row = await db.selectFrom('pages').selectAll().where('id', '=', id).executeTakeFirst();
      return row && pageFromRow(row);
    },

    async lockForUpdate(id) {
      if (dialect === 'postgres') await db.selectFrom('pages').select('id').where('id', '=', id).forUpdate().execute();
    },

    async getWithTokens(id) {
      const row = await db.selectFrom('pages').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      return (await withTokens([pageFromRow(row)]))[0];
    },

    async list(options = {}) {
      let query = db.selectFrom('pages').selectAll().orderBy('id');
      if (!options.includeRemoved) query = query.where('removed_at', 'is', null);
      const rows = await query.execute();
      // Chunked so very many pages stay under SQLite's bound-parameter limit.
      const pages = rows.map(pageFromRow);
      const out: PageWithTokens[] = [];
      for (let i = 0; i < pages.length; i += 500) out.push(...(await withTokens(pages.slice(i, i + 500))));
      return out;
    },

    async setStatus(id, update) {
      return inTransaction(db, async (db) => {
        const before = await db.selectFrom('pages').select('status').where('id', '=', id).executeTakeFirst();
        if (!before) return undefined;
        await db
          .updateTable('pages')
          .set({
            status: update.status,
            reason: update.reason ?? null,
            fix: update.fix ?? null,
            warning: update.warning ?? null,
            ...(update.lastCheckedAt === undefined ? {} : { last_checked_at: toMillis(update.lastCheckedAt) }),
            updated_at: now().getTime(),
          })
          .where('id', '=', id)
          .execute();
        return { previousStatus: before.status };
      });
    },

    async setStatuses(updates) {
      if (sqlite === undefined || !(db.isTransaction || !sqlite.inTransaction)) {
        const out: Array<{ previousStatus: StoredPage['status'] } | undefined> = [];
        for (const u of updates) out.push(await this.setStatus(u.id, u.update));
        return out;
      }
      const handle = sqlite;
      statusOf ??= handle.prepare<[string], { status: StoredPage['status'] }>('select status from pages where id = ?');
      writeStatus ??= handle.prepare('update pages set status = ?, reason = ?, fix = ?, warning = ?, last_checked_at = ?, updated_at = ? where id = ?');
      writeStatusKeepChecked ??= handle.prepare('update pages set status = ?, reason = ?, fix = ?, warning = ?, updated_at = ? where id = ?');
      const [read, write, writeKeep] = [statusOf, writeStatus, writeStatusKeepChecked];
      const run = () =>
        updates.map(({ id, update }) => {
          const before = read.get(id);
          if (!before) return undefined;
          const common = [update.status, update.reason ?? null, update.fix ?? null, update.warning ?? null] as const;
          if (update.lastCheckedAt === undefined) writeKeep.run(...common, now().getTime(), id);
          else write.run(...common, toMillis(update.lastCheckedAt), now().getTime(), id);
          return { previousStatus: before.status };
        });
      // Inside our own transaction the handle is already in it; otherwise make the batch atomic.
      return db.isTransaction ? run() : handle.transaction(run)();
    },

    async markRemovedForUser(userId, grantedPageIds) {
      return inTransaction(db, async (db) => {
        const granted = new Set(grantedPageIds);
        const held = await db.selectFrom('page_tokens').select('page_id').where('user_id', '=', userId).execute();
        const revokedPageIds = held.map((r) => r.page_id).filter((p) => !granted.has(p)).sort();
        if (revokedPageIds.length === 0) return { revokedPageIds, removedPageIds: [] };
        await db.deleteFrom('page_tokens').where('user_id', '=', userId).where('page_id', 'in', revokedPageIds).execute();
        const still = await db.selectFrom('page_tokens').select('page_id').where('page_id', 'in', revokedPageIds).execute();
        const kept = new Set(still.map((r) => r.page_id));
        const removedPageIds = revokedPageIds.filter((p) => !kept.has(p));
        if (removedPageIds.length > 0) {
          const at = now().getTime();
          await db.updateTable('pages').set({ removed_at: at, updated_at: at }).where('id', 'in', removedPageIds).where('removed_at', 'is', null).execute();
        }
        return { revokedPageIds, removedPageIds };
      });
    },
  };
}
