import { Migrator, PostgresAdapter, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { pkError } from '../errors.js';
import { migrationProvider, migrationsFor } from './migrations/index.js';
import type { Dialect } from './open-database.js';
import type { Database } from './schema.js';

const MIGRATION_TABLE = 'kysely_migration';

/** Which dialect a Kysely instance speaks, from its adapter. */
export function dialectOf(db: Kysely<Database>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

function migrator(db: Kysely<Database>, dialect: Dialect): Migrator {
  // Migrations are numbered ahead of time and can land out of order (0007 released before 0006):
  // a database that already ran a later one still gets an earlier one instead of refusing to
  // start. Each migration only adds what it names, so their order does not matter.
  return new Migrator({ db, provider: migrationProvider(dialect), migrationTableName: MIGRATION_TABLE, allowUnorderedMigrations: true });
}

/**
 * Applies every pending migration. Safe to run from several instances at once: Kysely's
 * migrator takes a lock (an advisory lock on PostgreSQL) and re-reads what is applied.
 * @returns names of the migrations applied by this call.
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect = dialectOf(db)): Promise<string[]> {
  await checkNotAhead(db, dialect);
  for (let attempt = 1; ; attempt++) {
    const { error, results } = dialect === 'sqlite' ? await migrateSqliteAtomically(db) : await migrator(db, dialect).migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's SQLite lock only covers one connection; another process migrating the same
    // file at the same moment makes this attempt fail (busy, or "table exists" after its
    // commit) and roll back. Retrying then finds the work done, or does it.
    if (dialect !== 'sqlite' || attempt >= SQLITE_MIGRATION_ATTEMPTS) {
      throw pkError('PK_INTERNAL', { detail: `migration failed: ${(error as Error).message ?? String(error)}` }, { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
  }
}

const SQLITE_MIGRATION_ATTEMPTS = 20;

/**
 * Kysely runs SQLite migrations statement by statement (its SQLite adapter claims no
 * transactional DDL), so a process killed mid-migration left half a schema that no later start
 * could finish ("table users already exists"). SQLite does roll DDL back: run the migrations in
 * one IMMEDIATE transaction on the dialect's single connection, which also makes a concurrent
 * start wait for this one instead of colliding with it.
 */
async function migrateSqliteAtomically(db: Kysely<Database>): Promise<MigrationResultSet> {
  // better-sqlite3 waits for a busy lock synchronously, which would freeze this process while
  // another store in it holds the lock: fail at once instead and let the caller's async retry wait.
  const [{ timeout } = { timeout: 0 }] = (await sql<{ timeout: number }>`pragma busy_timeout`.execute(db)).rows;
  try {
    await sql`pragma busy_timeout = 0`.execute(db);
    await sql`begin immediate`.execute(db);
  } catch (error) {
    return { error };
  } finally {
    await sql.raw(`pragma busy_timeout = ${Number(timeout)}`).execute(db);
  }
  let outcome: MigrationResultSet;
  try {
    outcome = await migrator(db, 'sqlite').migrateToLatest();
  } catch (error) {
    outcome = { error };
  }
  if (outcome.error === undefined) await sql`commit`.execute(db);
  else await sql`rollback`.execute(db).catch(() => {});
  return outcome;
}

/**
 * Checks that the database schema matches this version, for instances started without
 * migrating.
 * @throws PK_DB_MIGRATIONS_BEHIND when migrations are pending; PK_DB_AHEAD when the database
 *   has migrations this version does not know.
 */
export async function checkMigrations(db: Kysely<Database>, dialect: Dialect = dialectOf(db)): Promise<void> {
  await checkNotAhead(db, dialect);
  const infos = await migrator(db, dialect).getMigrations();
  const pending = infos.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) throw pkError('PK_DB_MIGRATIONS_BEHIND', { detail: `pending: ${pending.join(', ')}` });
}

async function checkNotAhead(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const applied = await appliedMigrations(db);
  const known = new Set(Object.keys(migrationsFor(dialect)));
  const unknown = applied.filter((name) => !known.has(name));
  if (unknown.length > 0) throw pkError('PK_DB_AHEAD', { detail: `unknown migrations: ${unknown.join(', ')}` });
}

async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  return rows.map((r) => r.name);
}
