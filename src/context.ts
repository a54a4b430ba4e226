/**
 * The one object every pagekeeper module receives instead of reaching for globals: the
 * configuration, the Graph client, the store, the logger, the clock and the page-token cache.
 * createPageKeeper builds it once; the messenger outbox, the health sweep, the notifier and the
 * service take it as their first argument (no singletons: two PageKeepers in one process never
 * share state).
 */
import type { Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import type { GraphClient } from './graph/create-graph-client.js';
import type { Store } from './store/create-store.js';
import type { PageTokenCache } from './tokens/page-token-cache.js';

/** The configuration a PageKeeper runs with, normalised once (defaults applied). */
export interface ResolvedConfig {
  appId: string;
  graphUrl: string;
  graphVersion: string;
  dialogUrl: string;
  /** Facebook Login for Business configuration id: the dialog takes `config_id` instead of `scope`. */
  loginConfigId?: string;
  /** Where the data lives, without credentials. */
  databaseLocation: string;
  /** Data access ending within this many ms makes a page `expiring` (default 14 days). */
  expiringWindowMs: number;
  /** Ask the Login dialog for the Instagram messaging scopes too (PAGEKEEPER_INSTAGRAM). */
  instagram?: boolean;
  /** Page webhook fields connect and the health sweep subscribe Pages with (PAGEKEEPER_WEBHOOK_FIELDS); default DEFAULT_WEBHOOK_FIELDS. */
  webhookFields?: readonly string[];
}

export interface PageKeeperContext {
  readonly config: ResolvedConfig;
  /** The app secret, for the OAuth exchanges that take it as `client_secret`. Never log it. */
  readonly appSecret: string;
  readonly graph: GraphClient;
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Decrypted page tokens: coalesced reads, bounded LRU, invalidated on invalid/rotation. */
  readonly tokens: PageTokenCache;
}
