import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { pkError } from '../errors.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** How long SQLite waits for another connection's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface OpenDatabaseOptions {
  /** PostgreSQL pool size (connections per process). */
  poolSize?: number;
  /** PostgreSQL `statement_timeout` for every connection, in ms. */
  statementTimeoutMs?: number;
  /** PostgreSQL connection timeout, in ms. */
  connectTimeoutMs?: number;
  /** Working directory for relative SQLite paths. */
  cwd?: string;
  /**
   * PostgreSQL only: the schema every connection works in (`search_path`), created when missing.
   * A tenant's partition lives in its own schema (see tenant-partition.ts).
   */
  schema?: string;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, without credentials (a file path, `:memory:`, or host/database). */
  location: string;
  /**
   * The better-sqlite3 handle under Kysely (SQLite only): hot reads prepare their statement on
   * it once instead of building, compiling and preparing through Kysely on every call.
   */
  sqlite?: BetterSqlite3.Database;
}

/** int8 (bigint) as a JS number: our bigints are millisecond timestamps and serial ids, far below 2^53. */
const PG_INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Opens the database named by PAGEKEEPER_DATABASE: `sqlite:PATH` (relative to cwd; the parent
 * directory is created), `sqlite::memory:`, or `postgres://` / `postgresql://` URLs. Checks that
 * it answers before returning.
 * @throws PK_CONFIG_INVALID for an unknown scheme; PK_DB_UNREACHABLE when it cannot be opened.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options.cwd ?? process.cwd());
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_DATABASE', detail: 'use sqlite:PATH or postgres://user:password@host/database' });
}

function openSqlite(path: string, cwd: string): OpenedDatabase {
  if (path === '') throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_DATABASE', detail: 'sqlite: needs a file path, as in sqlite:pagekeeper.db' });
  const memory = path === ':memory:';
  const file = memory ? ':memory:' : resolve(cwd, path);
  let handle: BetterSqlite3.Database;
  try {
    if (!memory) {
      mkdirSync(dirname(file), { recursive: true });
      createPrivately(file);
    }
    handle = new BetterSqlite3(file);
    handle.pragma('journal_mode = WAL');
    handle.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    handle.pragma('foreign_keys = ON');
    // Under WAL, NORMAL keeps the database consistent on power loss and is much faster than FULL.
    handle.pragma('synchronous = NORMAL');
  } catch (cause) {
    throw pkError('PK_DB_UNREACHABLE', { detail: `cannot open SQLite file ${file}: ${(cause as Error).message}` }, { cause });
  }
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) }), dialect: 'sqlite', location: file, sqlite: handle };
}

/** Distinct SQL texts kept prepared; the store issues far fewer (one per query shape and batch size). */
export const SQLITE_STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely's SQLite driver prepares every query anew, and with better-sqlite3 the prepare costs
 * more than running a small statement: storing a 500-Page connect spent about a third of its
 * time in it. The driver runs one query at a time on its single connection and never streams
 * here, so a statement is never in use twice and can be kept, keyed by its SQL text (least
 * recently used dropped first). SQLite re-prepares a kept statement itself after a schema change.
 */
function withStatementCache(handle: BetterSqlite3.Database): Pick<BetterSqlite3.Database, 'prepare' | 'close'> {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(source: string) {
      let stmt = cache.get(source);
      if (stmt) cache.delete(source);
      else {
        stmt = handle.prepare(source);
        if (cache.size >= SQLITE_STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(source, stmt);
      return stmt;
    },
    close() {
      cache.clear();
      return handle.close();
    },
  } as Pick<BetterSqlite3.Database, 'prepare' | 'close'>;
}

/** Owner read and write only: the file holds queued message text, key hashes and ciphertexts. */
export const SQLITE_FILE_MODE = 0o600;

/**
 * Creates the database file with mode 0600 before SQLite opens it; SQLite gives the `-wal` and
 * `-shm` files it creates the mode of the database file (https://www.sqlite.org/tempfiles.html),
 * so they are 0600 too. An existing file keeps its mode (`pagekeeper doctor` warns when it is
 * readable by others): changing it under a running deployment could lock out its backup job.
 */
function createPrivately(file: string): void {
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, SQLITE_FILE_MODE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  let location: string;
  try {
    const u = new URL(url);
    location = `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_DATABASE', detail: 'not a valid postgres:// URL' });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    types: pgTypes,
    // Schema names come from tenantSchema() only: lower-case letters, digits and underscores.
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
    if (options.schema !== undefined) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
  } catch (cause) {
    await db.destroy().catch(() => {});
    // The message never includes the URL (it may hold a password), only where we tried.
    throw pkError('PK_DB_UNREACHABLE', { detail: `PostgreSQL at ${location}: ${describePgError(cause)}` }, { cause });
  }
  return { db, dialect: 'postgres', location: options.schema === undefined ? location : `${location} (schema ${options.schema})` };
}

function describePgError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const message = err.message && err.message !== '' ? err.message : 'connection failed';
  return err.code && !message.includes(err.code) ? `${message} (${err.code})` : message;
}
