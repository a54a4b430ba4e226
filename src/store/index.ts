/** The storage layer's public surface: createStore and the types callers hold. */
export { createStore, bindRepositories, type Store, type StoreRepositories, type CreateStoreOptions } from './create-store.js';
export { openDatabase, type Dialect, type OpenDatabaseOptions, type OpenedDatabase } from './open-database.js';
export { migrateToLatest, checkMigrations, dialectOf } from './migrate.js';
export { parseKeys, generateKeyEntry, createKeyring, pageTokenAad, userTokenAad, type Keyring } from './crypto/index.js';
export type { Database } from './schema.js';
export type { UserRepository } from './user-repository.js';
export type { PageRepository } from './page-repository.js';
export type { PageTokenRepository } from './page-token-repository.js';
export type { AuditRepository } from './audit-repository.js';
export type { LeaseRepository } from './lease-repository.js';
export type { OutboxRepository, OutboxMessage, NewOutboxMessage, ClaimedMessage, SendOutcome, OutboxStatus } from './outbox-repository.js';
export type { ConversationsRepository } from './conversations-repository.js';
export type { ApiKeyRepository, ApiKeyRecord } from './api-key-repository.js';
export type { NotificationRepository, StoredNotification, NotificationStatus } from './notification-repository.js';
export type { DataDeletionRepository, DataDeletion } from './data-deletion-repository.js';
export type { StaleTokenReader, StaleToken, StaleCursor } from './stale-token-reader.js';
export type * from './types.js';
export { rotateKeys, DEFAULT_ROTATION_BATCH_SIZE, type RotateKeysOptions, type RotationProgress } from './rotate-keys.js';
