/**
 * `pagekeeper migrate`: brings PAGEKEEPER_DATABASE to this version's schema and says which
 * version it is at. Run it once before rolling several instances onto a new version:
 * an instance started without migrating refuses a behind schema (PK_DB_MIGRATIONS_BEHIND).
 *
 * `pagekeeper migrate --from sqlite:FILE --to postgres://...`: copies every table, tokens still
 * encrypted, and verifies the row counts (src/store/copy-database.ts).
 */
import { pkError } from '../../errors.js';
import { parseKeys } from '../../store/crypto/parse-keys.js';
import type { Keyring } from '../../store/crypto/keyring.js';
import { copyDatabase, type CopiedTable, type TableCount } from '../../store/copy-database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { migrationsFor } from '../../store/migrations/index.js';
import { openDatabase } from '../../store/open-database.js';
import type { CommandContext, CommandResult } from '../context.js';
import { cliConfig } from '../open-page-keeper.js';
import { table } from '../output.js';

export interface MigrateJson {
  database: string;
  dialect: string;
  /** The latest migration now applied. */
  version: string;
  /** Migrations this run applied (empty when already current). */
  applied: string[];
}

export interface CopyJson {
  tables: Record<CopiedTable, TableCount>;
  ok: boolean;
  decrypted: { checked: number; failed: number } | null;
}

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult<MigrateJson | CopyJson>> {
  if (args.length > 0) throw pkError('PK_USAGE', { detail: 'usage: pagekeeper migrate [--from DATABASE --to DATABASE [--force] [--batch-size N]]' });
  const from = typeof options.from === 'string' ? options.from : undefined;
  const to = typeof options.to === 'string' ? options.to : undefined;
  if (from !== undefined || to !== undefined) return copy(ctx, from, to, options);
  if (options.force !== undefined || options.batchSize !== undefined) throw pkError('PK_USAGE', { detail: '--force and --batch-size go with --from and --to' });
  return migrate(ctx);
}

async function migrate(ctx: CommandContext): Promise<CommandResult<MigrateJson>> {
  const config = cliConfig(ctx);
  const { db, dialect, location } = await openDatabase(config.database, { cwd: ctx.cwd, poolSize: 1, statementTimeoutMs: config.dbStatementTimeoutMs });
  try {
    const applied = await migrateToLatest(db, dialect);
    const version = Object.keys(migrationsFor(dialect)).sort().at(-1) ?? 'none';
    const human = applied.length === 0 ? `${location} is up to date (schema ${version}).` : `${location}: applied ${applied.join(', ')}; schema is now ${version}.`;
    return { data: { database: location, dialect, version, applied }, human };
  } finally {
    await db.destroy();
  }
}

async function copy(ctx: CommandContext, from: string | undefined, to: string | undefined, options: Record<string, unknown>): Promise<CommandResult<CopyJson>> {
  if (from === undefined) throw pkError('PK_USAGE', { detail: 'copying needs --from DATABASE (and --to DATABASE, or PAGEKEEPER_DATABASE as the target)' });
  const config = cliConfig(ctx);
  // Without --to the target is PAGEKEEPER_DATABASE, which keeps a PostgreSQL password off argv.
  const target = to ?? config.database;
  const batchSize = options.batchSize === undefined ? undefined : Number(options.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw pkError('PK_USAGE', { detail: '--batch-size must be a positive whole number' });
  // Keys are optional here (the copy never decrypts to copy); when configured, a sample of the
  // copied tokens is decrypted from the target to prove they still open.
  let keyring: Keyring | undefined;
  if (config.keys !== undefined) keyring = parseKeys(config.keys);
  const showProgress = ctx.stderr.isTTY === true && !ctx.json;
  const result = await copyDatabase({
    from,
    to: target,
    force: options.force === true,
    batchSize,
    keyring,
    cwd: ctx.cwd,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    onProgress: showProgress ? ({ table: t, copied, total }) => ctx.stderr.write(`\rCopying ${t}: ${copied}/${total}\x1b[K`) : undefined,
  });
  if (showProgress) ctx.stderr.write('\r\x1b[K');
  const rows = Object.entries(result.tables).map(([name, c]) => [name, String(c.from), String(c.to), c.from === c.to ? 'ok' : 'MISMATCH']);
  const lines = [`Copied ${result.from.location} (${result.from.dialect}) to ${result.to.location} (${result.to.dialect}).`, '', table(['TABLE', 'FROM', 'TO', ''], rows)];
  if (result.decrypted === null) lines.push('', 'PAGEKEEPER_KEYS is not set here: the copied tokens were not test-decrypted.');
  else lines.push('', `Decrypted ${result.decrypted.checked - result.decrypted.failed} of ${result.decrypted.checked} sampled tokens from the target with PAGEKEEPER_KEYS.`);
  lines.push('', result.ok ? 'Every row arrived. Point PAGEKEEPER_DATABASE at the target.' : 'The copy does NOT match: see the table above.');
  return { data: { tables: result.tables, ok: result.ok, decrypted: result.decrypted }, human: lines.join('\n'), exitCode: result.ok ? 0 : 1 };
}
