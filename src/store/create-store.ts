import { sql, type Kysely } from 'kysely';
import { createActivityRollupRepository, type ActivityRollupRepository } from './activity-rollup-repository.js';
import { createAdminSessionRepository, type AdminSessionRepository } from './admin-session-repository.js';
import { createApiKeyRepository, type ApiKeyRepository } from './api-key-repository.js';
import { createAuditRepository, type AuditRepository } from './audit-repository.js';
import { createCallbackReplayRepository, type CallbackReplayRepository } from './callback-replay-repository.js';
import { createConversationsRepository, type ConversationsRepository } from './conversations-repository.js';
import type { Keyring } from './crypto/keyring.js';
import { parseKeys } from './crypto/parse-keys.js';
import { createDataDeletionRepository, type DataDeletionRepository } from './data-deletion-repository.js';
import { checkMigrations, migrateToLatest } from './migrate.js';
import { openDatabase, type Dialect, type OpenDatabaseOptions, type OpenedDatabase } from './open-database.js';
import { createInstagramRepository, type InstagramRepository } from './instagram-repository.js';
import { createLeaseRepository, type LeaseRepository } from './lease-repository.js';
import { createNotificationRepository, type NotificationRepository } from './notification-repository.js';
import { createOutboxRepository, type OutboxRepository } from './outbox-repository.js';
import { createPageRepository, type PageRepository } from './page-repository.js';
import { createPageTokenRepository, type PageTokenRepository } from './page-token-repository.js';
import type { Database } from './schema.js';
import { createStaleTokenReader, type StaleTokenReader } from './stale-token-reader.js';
import { createSubscriptionRepository, type SubscriptionRepository } from './subscription-repository.js';
import { createUserRepository, type UserRepository } from './user-repository.js';
import { createTenantRepository, type TenantRepository } from './tenant-repository.js';
import { createConnectResultRepository, type ConnectResultRepository } from './connect-result-repository.js';
import { createConnectSessionRepository, type ConnectSessionRepository } from './connect-session-repository.js';
import { createOutboxConsoleRepository, type OutboxConsoleRepository } from './outbox-console-repository.js';
import { createOutboxSlotRepository, type OutboxSlotRepository } from './outbox-slot-repository.js';

type SqliteHandle = NonNullable<OpenedDatabase['sqlite']>;

/** The repositories, bound either to the database or to one transaction. */
export interface StoreRepositories {
  /**
   * The Kysely instance (or transaction) these repositories use, for the store's own code and
   * tests. Every table has a repository: code outside src/store/ goes through those.
   */
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  readonly dialect: Dialect;
  readonly users: UserRepository;
  readonly pages: PageRepository;
  readonly pageTokens: PageTokenRepository;
  readonly audit: AuditRepository;
  /** Named leases with expiry, for leader election and partitioned work across instances. */
  readonly leases: LeaseRepository;
  /** Durable Messenger sends (payloads as stored text). */
  readonly outbox: OutboxRepository;
  /** When each person last wrote to each Page (the Messenger window). */
  readonly conversations: ConversationsRepository;
  /** The service's API keys (hashes only). */
  readonly apiKeys: ApiKeyRepository;
  /** Alert deliveries and each notifier's cursor in the audit log. */
  readonly notifications: NotificationRepository;
  /** Facebook data deletion requests and their confirmation codes. */
  readonly dataDeletions: DataDeletionRepository;
  /** The health sweep's keyset read of stale valid tokens. */
  readonly staleTokens: StaleTokenReader;
  /** The app's webhook subscription to each Page, as last read or written. */
  readonly subscriptions: SubscriptionRepository;
  /** Facebook callbacks (signed_request values) already acted on, shared by every instance. */
  readonly callbackReplays: CallbackReplayRepository;
  /** Dashboard sessions by hash, so logging out ends a session on every instance. */
  readonly adminSessions: AdminSessionRepository;
  /** Tenants and their webhook settings (read from the main database, not a tenant's partition). */
  readonly tenants: TenantRepository;
  /** Single-use connect links and their outcomes (main database). */
  readonly connectSessions: ConnectSessionRepository;
  /** The Instagram account linked to each Page and its Instagram scopes (docs/instagram.md). */
  readonly instagram: InstagramRepository;
  /** Counts behind the dashboard's charts: outcomes per hour and day, rate-budget use, Pages by status. */
  readonly rollups: ActivityRollupRepository;
  /** Login callback outcomes, shown after the redirect away from the callback. */
  readonly connectResults: ConnectResultRepository;
  /** The operations console's outbox reads and actions: filters, history, retry, cancel, Page removal. */
  readonly outboxConsole: OutboxConsoleRepository;
  /** Each Page's send schedule, shared by every instance on the database (src/messenger/page-slots.ts). */
  readonly outboxSlots: OutboxSlotRepository;
  /** One round trip to the database (readiness checks). */
  ping(): Promise<void>;
  /**
   * Runs `fn` in one transaction with every repository bound to it; commits when `fn`
   * resolves, rolls back when it throws. Nested calls join the outer transaction.
   */
  transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T>;
}

/** pagekeeper's storage: encrypted tokens, pages, audit log, over SQLite or PostgreSQL. */
export interface Store extends StoreRepositories {
  /** Where the data lives, without credentials. */
  readonly location: string;
  /** Closes the database (pool or file). */
  close(): Promise<void>;
}

export interface CreateStoreOptions extends OpenDatabaseOptions {
  /** PAGEKEEPER_DATABASE: `sqlite:PATH`, `sqlite::memory:` or `postgres://...`. */
  database: string;
  /** PAGEKEEPER_KEYS text; parsed (failing closed) before the database is touched. */
  keys: string | undefined;
  /** Apply pending migrations (default). When false, refuse to start unless the schema is current. */
  migrate?: boolean;
  /** The clock for stored timestamps (tests pin it). */
  now?: () => Date;
}

/**
 * Opens the store: parses the keys, opens the database, migrates (or checks migrations), and
 * builds the repositories.
 * @throws PK_KEYS_MISSING / PK_KEYS_INVALID before anything is opened or written;
 *   PK_DB_UNREACHABLE; PK_DB_MIGRATIONS_BEHIND / PK_DB_AHEAD.
 */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  const keyring = parseKeys(options.keys);
  const { db, dialect, location, sqlite } = await openDatabase(options.database, options);
  try {
    if (options.migrate === false) await checkMigrations(db, dialect, options.schema);
    else await migrateToLatest(db, dialect, options.schema);
  } catch (e) {
    await db.destroy().catch(() => {});
    throw e;
  }
  const repositories = bindRepositories(db, keyring, dialect, options.now ?? (() => new Date()), sqlite);
  let closed: Promise<void> | undefined;
  return {
    ...repositories,
    location,
    close: () => (closed ??= db.destroy()),
  };
}

/**
 * Builds the repositories over a database or a transaction. `sqlite` is the raw handle under a
 * SQLite database, for the few hot statements prepared once: outside a transaction they run on
 * it only while no transaction holds the connection; a transaction's repositories run them
 * inside that transaction (Kysely's SQLite driver has one connection, held for the transaction).
 */
export function bindRepositories(db: Kysely<Database>, keyring: Keyring, dialect: Dialect, now: () => Date, sqlite?: SqliteHandle): StoreRepositories {
  const self: StoreRepositories = {
    db,
    keyring,
    dialect,
    users: createUserRepository(db, keyring, now),
    pages: createPageRepository(db, now, sqlite, dialect),
    pageTokens: createPageTokenRepository(db, keyring, now, sqlite),
    audit: createAuditRepository(db, now),
    leases: createLeaseRepository(db, now),
    outbox: createOutboxRepository(db, dialect),
    conversations: createConversationsRepository(db),
    apiKeys: createApiKeyRepository(db),
    notifications: createNotificationRepository(db),
    dataDeletions: createDataDeletionRepository(db),
    staleTokens: createStaleTokenReader(db, keyring),
    subscriptions: createSubscriptionRepository(db),
    callbackReplays: createCallbackReplayRepository(db),
    adminSessions: createAdminSessionRepository(db),
    tenants: createTenantRepository(db, keyring, now),
    connectSessions: createConnectSessionRepository(db),
    instagram: createInstagramRepository(db),
    rollups: createActivityRollupRepository(db, dialect),
    connectResults: createConnectResultRepository(db),
    outboxConsole: createOutboxConsoleRepository(db),
    outboxSlots: createOutboxSlotRepository(db, dialect),
    ping: async () => void (await sql`select 1`.execute(db)),
    transaction: (fn) => (db.isTransaction ? fn(self) : db.transaction().execute((trx) => fn(bindRepositories(trx, keyring, dialect, now, sqlite)))),
  };
  return self;
}
