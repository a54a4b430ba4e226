import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../open-database.js';
import { initialMigration } from './0001-initial.js';
import { instagramMigration } from './0009-instagram.js';

/**
 * Every migration, in order. A static list (not Kysely's FileMigrationProvider) so it works
 * the same from dist/ and under tsx, and from a bundled build. Names sort lexically.
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(dialect),
    '0009_instagram': instagramMigration(),
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrationsFor(dialect) };
}
