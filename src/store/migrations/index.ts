import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../open-database.js';
import { initialMigration } from './0001-initial.js';
import { instagramMigration } from './0009-instagram.js';
import { pageSubscriptionsMigration } from './0003-page-subscriptions.js';
import { callbackReplaysAndAdminSessionsMigration } from './0006-callback-replays-and-admin-sessions.js';
import { tokenKindMigration } from './0007-token-kind.js';
import { tenantsMigration } from './0008-tenants.js';
import { activityRollupsMigration } from './0010-activity-rollups.js';
import { outboxConsoleMigration } from './0013-outbox-console.js';
import { outboxSendersMigration } from './0014-outbox-senders.js';
import { outboxPageSlotsMigration } from './0015-outbox-page-slots.js';

/**
 * Every migration, in order. A static list (not Kysely's FileMigrationProvider) so it works
 * the same from dist/ and under tsx, and from a bundled build. Names sort lexically.
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(dialect),
    '0003_page_subscriptions': pageSubscriptionsMigration(),
    '0006_callback_replays_and_admin_sessions': callbackReplaysAndAdminSessionsMigration(),
    '0007_token_kind': tokenKindMigration(),
    '0008_tenants': tenantsMigration(),
    '0009_instagram': instagramMigration(),
    '0010_activity_rollups': activityRollupsMigration(),
    '0013_outbox_console': outboxConsoleMigration(dialect),
    '0014_outbox_senders': outboxSendersMigration(),
    '0015_outbox_page_slots': outboxPageSlotsMigration(),
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrationsFor(dialect) };
}
