/**
 * `pagekeeper migrate --from sqlite:FILE --to postgres://...`: copies every
 * table from one database to another, rows as they are stored. Tokens stay encrypted: the
 * ciphertexts are copied byte for byte and stay valid because their additional authenticated
 * data names the page and user (src/store/crypto/aad.ts), never the database.
 *
 * Each table is copied in one transaction on the target, read from the source in keyset-ordered
 * batches; an interrupted copy leaves whole tables or nothing, and running it again with
 * `force` starts over cleanly. Serial ids (audit_log.id, outbox.seq, notifications.id) are
 * copied as they are, then PostgreSQL's sequences are moved past the copied maximum so new rows
 * do not collide. Leases are not copied: they only mean something to running instances.
 */
import { sql, type Kysely } from 'kysely';
import { pkError } from '../errors.js';
import { pageTokenAad, userTokenAad } from './crypto/aad.js';
import type { Keyring } from './crypto/keyring.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type Dialect, type OpenDatabaseOptions } from './open-database.js';
import type { Database } from './schema.js';

export const DEFAULT_COPY_BATCH_SIZE = 500;
/** How many stored tokens per table are decrypted after the copy to prove the keys still open them. */
export const DECRYPT_SAMPLE_SIZE = 20;

/** Copied tables, parents before children (page_tokens references pages and users). */
export const COPIED_TABLES = [
  'users',
  'pages',
  'page_tokens',
  'audit_log',
  'outbox',
  'conversations',
  'page_instagram',
  'api_keys',
  'notifications',
  'data_deletions',
  'meta',
  'outbox_history',
] as const satisfies readonly (keyof Database)[];
export type CopiedTable = (typeof COPIED_TABLES)[number];

/** Each table's key columns, for keyset batches (stable order, no OFFSET scans). */
const KEY_COLUMNS: Record<CopiedTable, readonly string[]> = {
  users: ['id'],
  pages: ['id'],
  page_tokens: ['page_id', 'user_id'],
  audit_log: ['id'],
  outbox: ['seq'],
  conversations: ['page_id', 'psid'],
  page_instagram: ['page_id'],
  api_keys: ['id'],
  notifications: ['id'],
  data_deletions: ['confirmation_code'],
  meta: ['key'],
  outbox_history: ['id'],
};

/** Serial columns whose PostgreSQL sequence must move past the copied ids. */
const SERIAL_COLUMNS: Partial<Record<CopiedTable, string>> = { audit_log: 'id', outbox: 'seq', notifications: 'id', outbox_history: 'id' };

export interface CopyDatabaseOptions extends Pick<OpenDatabaseOptions, 'cwd' | 'poolSize' | 'statementTimeoutMs'> {
  /** Source PAGEKEEPER_DATABASE (`sqlite:FILE` or `postgres://...`). */
  from: string;
  /** Target PAGEKEEPER_DATABASE; migrated to the latest schema first. */
  to: string;
  /** Replace whatever the target holds; without it a non-empty target is refused. */
  force?: boolean;
  /** Rows per read batch (default 500). */
  batchSize?: number;
  /** When given, a sample of the copied tokens is decrypted from the target to prove they still open. */
  keyring?: Keyring;
  /** Called after each batch is written. */
  onProgress?: (progress: { table: CopiedTable; copied: number; total: number }) => void;
}

export interface TableCount {
  from: number;
  to: number;
}

export interface CopyDatabaseResult {
  tables: Record<CopiedTable, TableCount>;
  /** Every table has as many rows in the target as in the source (and sampled tokens decrypt). */
  ok: boolean;
  /** Tokens decrypted from the target after the copy; null when no keys were given. */
  decrypted: { checked: number; failed: number } | null;
  from: { dialect: Dialect; location: string };
  to: { dialect: Dialect; location: string };
}

type AnyDb = Kysely<Database>;
type Row = Record<string, unknown>;

/**
 * Copies every table from `from` to `to` and verifies the row counts.
 * @throws PK_DB_UNREACHABLE for either database; PK_DB_AHEAD when one is newer than this
 *   version; PK_DB_NOT_EMPTY when the target holds data and `force` is not set; PK_USAGE when
 *   source and target are the same database.
 */
export async function copyDatabase(options: CopyDatabaseOptions): Promise<CopyDatabaseResult> {
  const batchSize = options.batchSize ?? DEFAULT_COPY_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw pkError('PK_USAGE', { detail: 'the batch size must be a positive whole number' });
  const open = { cwd: options.cwd, poolSize: options.poolSize, statementTimeoutMs: options.statementTimeoutMs };
  const source = await openDatabase(options.from, open);
  try {
    const target = await openDatabase(options.to, open);
    try {
      if (source.dialect === target.dialect && source.location === target.location) {
        throw pkError('PK_USAGE', { detail: '--from and --to name the same database' });
      }
      // The source is brought to this version's schema, as any pagekeeper command opening it
      // would: then both sides have the same columns.
      await migrateToLatest(source.db, source.dialect);
      await migrateToLatest(target.db, target.dialect);

      const occupied = await nonEmptyTables(target.db);
      if (occupied.length > 0 && options.force !== true) {
        throw pkError('PK_DB_NOT_EMPTY', { location: target.location, detail: occupied.join(', ') });
      }
      if (occupied.length > 0) await emptyTables(target.db);

      const tables = {} as Record<CopiedTable, TableCount>;
      for (const table of COPIED_TABLES) {
        const total = await countRows(source.db, table);
        await copyTable(source.db, target.db, table, batchSize, (copied) => options.onProgress?.({ table, copied, total }));
        if (target.dialect === 'postgres') await advanceSequence(target.db, table);
        tables[table] = { from: await countRows(source.db, table), to: await countRows(target.db, table) };
      }
      const decrypted = options.keyring ? await decryptSample(target.db, options.keyring) : null;
      const ok = Object.values(tables).every((t) => t.from === t.to) && (decrypted === null || decrypted.failed === 0);
      return {
        tables,
        ok,
        decrypted,
        from: { dialect: source.dialect, location: source.location },
        to: { dialect: target.dialect, location: target.location },
      };
    } finally {
      await target.db.destroy();
    }
  } finally {
    await source.db.destroy();
  }
}

async function countRows(db: AnyDb, table: CopiedTable): Promise<number> {
  const row = await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Tables holding rows, ignoring what a fresh migration writes itself (meta's
 * schema_created_at) and leases (transient by nature).
 */
async function nonEmptyTables(db: AnyDb): Promise<string[]> {
  const out: string[] = [];
  for (const table of COPIED_TABLES) {
    let q = db.selectFrom(table).select(sql<number>`1`.as('one'));
    if (table === 'meta') q = q.where('key' as never, '!=', 'schema_created_at' as never);
    if ((await q.limit(1).execute()).length > 0) out.push(table);
  }
  return out;
}

/** Empties the copied tables (children first), in one transaction. */
async function emptyTables(db: AnyDb): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of [...COPIED_TABLES].reverse()) await trx.deleteFrom(table).execute();
  });
}

/** One table, one target transaction; the source is read in key order, batch by batch. */
async function copyTable(source: AnyDb, target: AnyDb, table: CopiedTable, batchSize: number, progress: (copied: number) => void): Promise<void> {
  const keys = KEY_COLUMNS[table];
  await target.transaction().execute(async (trx) => {
    let after: unknown[] | undefined;
    let copied = 0;
    for (;;) {
      const rows = await readBatch(source, table, keys, after, batchSize);
      if (rows.length === 0) break;
      let insert = trx.insertInto(table).values(rows as never);
      // The target's own migration wrote meta.schema_created_at; the source's value wins.
      if (table === 'meta') insert = insert.onConflict((oc) => oc.column('key' as never).doUpdateSet({ value: sql`excluded.value` } as never));
      await insert.execute();
      copied += rows.length;
      progress(copied);
      const last = rows[rows.length - 1]!;
      after = keys.map((k) => last[k]);
      if (rows.length < batchSize) break;
    }
  });
}

async function readBatch(db: AnyDb, table: CopiedTable, keys: readonly string[], after: unknown[] | undefined, limit: number): Promise<Row[]> {
  const columns = sql.join(keys.map((k) => sql.ref(k)));
  const where = after === undefined ? sql`` : sql`where (${columns}) > (${sql.join(after.map((v) => sql`${v}`))})`;
  const { rows } = await sql<Row>`select * from ${sql.table(table)} ${where} order by ${columns} limit ${limit}`.execute(db);
  return rows;
}

/** Moves a PostgreSQL serial's sequence past the copied ids (the next insert gets max + 1). */
async function advanceSequence(db: AnyDb, table: CopiedTable): Promise<void> {
  const column = SERIAL_COLUMNS[table];
  if (column === undefined) return;
  await sql`select setval(pg_get_serial_sequence(${table}, ${column}), coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
}

/** Decrypts a sample of user and page tokens from the target with the configured keys. */
async function decryptSample(db: AnyDb, keyring: Keyring): Promise<{ checked: number; failed: number }> {
  let checked = 0;
  let failed = 0;
  const attempt = (fn: () => unknown) => {
    checked += 1;
    try {
      fn();
    } catch {
      failed += 1;
    }
  };
  const users = await db.selectFrom('users').select(['id', 'token_ciphertext', 'token_key_id']).orderBy('id').limit(DECRYPT_SAMPLE_SIZE).execute();
  for (const u of users) attempt(() => keyring.decrypt(u.token_ciphertext, u.token_key_id, userTokenAad(u.id)));
  const tokens = await db.selectFrom('page_tokens').select(['page_id', 'user_id', 'token_ciphertext', 'key_id']).orderBy('page_id').orderBy('user_id').limit(DECRYPT_SAMPLE_SIZE).execute();
  for (const t of tokens) attempt(() => keyring.decrypt(t.token_ciphertext, t.key_id, pageTokenAad(t.page_id, t.user_id)));
  return { checked, failed };
}
