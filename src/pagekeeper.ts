/**
 * The library's front door: `createPageKeeper` builds one PageKeeper (its own Graph client,
 * store and token cache; nothing global) and hands out Page tokens that never expire.
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
 */
import { DEFAULT_DIALOG_URL, DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION } from './config/load-config.js';
import { pkError } from './errors.js';
import { createGraphClient, type GraphClientOptions } from './graph/create-graph-client.js';
import type { CallOptions, Params } from './graph/types.js';
import { createHealthRuntime, type HealthRuntime, type HealthRuntimeOptions } from './health/create-health-runtime.js';
import type { DeauthorizeResult } from './health/handle-deauthorize.js';
import { pageHealthFromStore } from './health/page-health-from-store.js';
import type { HealthScheduler, HealthSchedulerOptions } from './health/start-health-scheduler.js';
import { sweep, type SweepOptions, type SweepResult } from './health/sweep.js';
import type { HealthEvent, Notifier } from './notify/types.js';
import { createMessenger, type Messenger, type MessengerOptions } from './messenger/create-messenger.js';
import type { MessengerProfileHandle } from './messenger/messenger-profile.js';
import { createPagePlatform, fetchPersonWith } from './messenger/page-platform.js';
import { createPeopleDirectory, type PeopleDirectory, type PeopleDirectoryOptions, type PersonProfile } from './messenger/person-profile.js';
import type { UploadInput, UploadResult } from './messenger/upload-attachment.js';
import { createStore } from './store/create-store.js';
import { DEFAULT_WEBHOOK_FIELDS } from './core/webhook-fields.js';
import type { StoredSubscription } from './store/subscription-repository.js';
import type { SubscriptionSummary } from './subscriptions/subscription-summary.js';

export type { SubscriptionSummary } from './subscriptions/subscription-summary.js';
import { rotateKeys, type RotateKeysOptions } from './store/rotate-keys.js';
import type { PageWithTokens } from './store/types.js';
import { buildLoginUrl, loginScopesFor } from './tokens/build-login-url.js';
import { createInstagramHandle, type InstagramHandle } from './instagram/instagram-handle.js';
import { judgeInstagram, type InstagramView } from './tokens/instagram-capability.js';
import { connect, type ConnectOptions, type ConnectResult } from './tokens/connect.js';
import { removePage, type RemovePageResult } from './tokens/remove-page.js';
import { resubscribePage } from './subscriptions/resubscribe-page.js';
import type { PageKeeperContext } from './context.js';
import { systemClock, type Clock } from './core/clock.js';
import { silentLogger, type Logger } from './core/logger.js';
import { exchangeCode } from './tokens/exchange-code.js';
import { inspectToken } from './tokens/inspect-token.js';
import { toPageView } from './tokens/page-view.js';
import { createPageTokenCache, DEFAULT_TOKEN_CACHE_SIZE } from './tokens/page-token-cache.js';
import type { PageStatus, TokenInspection } from './core/types.js';

/** Data access ending within this window makes a Page `expiring`. */
export const DEFAULT_EXPIRING_WINDOW_MS = 14 * 24 * 3600 * 1000;

export interface PageKeeperOptions {
  /** The Facebook app id (App settings > Basic). */
  appId: string;
  /** The app secret. Never logged; used for appsecret_proof and the token exchanges. */
  appSecret: string;
  /** `sqlite:FILE`, `sqlite::memory:` or `postgres://...`. */
  database: string;
  /** PAGEKEEPER_KEYS text: `id:base64` pairs, comma-separated, active first. Missing keys fail closed. */
  keys: string | undefined;
  /** Default https://graph.facebook.com; an emulator URL in tests and the demo. */
  graphUrl?: string;
  /** Pinned Graph version, default v25.0. */
  graphVersion?: string;
  /** Where the Login dialog lives, default https://www.facebook.com. */
  dialogUrl?: string;
  /**
   * A Business-type app's Facebook Login for Business configuration id (App Dashboard > Facebook
   * Login for Business > Configurations): the dialog then carries `config_id` instead of `scope`.
   * https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
   */
  loginConfigId?: string;
  /** pino-compatible; never receives a token or secret. */
  logger?: Logger;
  /** Injected clock (tests pin time). */
  clock?: Clock;
  /** Decrypted tokens kept in memory, default 10,000. */
  tokenCacheSize?: number;
  /** Default 14 days. */
  expiringWindowMs?: number;
  /**
   * Page webhook fields connected Pages are subscribed with (PAGEKEEPER_WEBHOOK_FIELDS), default
   * messages, messaging_postbacks, message_deliveries, message_reads, messaging_referrals.
   */
  webhookFields?: readonly string[];
  /** Relative SQLite paths resolve against this directory. */
  cwd?: string;
  /** PAGEKEEPER_INSTAGRAM: the Login dialog also asks for the Instagram messaging scopes (docs/instagram.md). Default false. */
  instagram?: boolean;
  /**
   * Database tuning: PostgreSQL pool size and statement timeout; `migrate: false`
   * refuses a schema that is behind (PK_DB_MIGRATIONS_BEHIND) instead of migrating it, for
   * instances rolled after `pagekeeper migrate`.
   */
  db?: { poolSize?: number; statementTimeoutMs?: number; migrate?: boolean };
  /** Tuning passed to the Graph client (timeouts, retries). */
  graph?: Omit<GraphClientOptions, 'graphUrl' | 'graphVersion' | 'appId' | 'appSecret' | 'logger'>;
  /** Send caps per Page (default 300/s, Facebook's figure) and throttle tuning. */
  messenger?: Omit<MessengerOptions, 'onTokenInvalid'>;
  /** Who hears about health changes (log line, signed webhook, your own); see notifiersFromConfig. */
  notifiers?: Notifier[];
  /** Alert delivery tuning (poll interval, retries). */
  notify?: HealthRuntimeOptions['notify'];
  /** The in-memory cache of people's names and pictures (default 5,000 people for 1 hour). */
  people?: Omit<PeopleDirectoryOptions, 'now'>;
}

/** One connected Page as `pages()` lists it; no token. */
export interface PageSummary {
  id: string;
  name: string;
  category: string | null;
  /** Tasks of the token in use (MANAGE, MESSAGING, ...). */
  tasks: string[];
  status: PageStatus;
  reason: string | null;
  fix: string | null;
  warning: string | null;
  /** null: a valid token never expires (or none is valid: see `status` and `tokens.valid`). */
  tokenExpiresAt: Date | null;
  /** When data access lapses unless someone is active (90 days after last activity). */
  dataAccessExpiresAt: Date | null;
  lastCheckedAt: Date | null;
  /** Tokens stored for the Page (one per admin who connected it) and how many are valid. */
  tokens: { total: number; valid: number };
  /** The linked Instagram account and whether pagekeeper can message it (docs/instagram.md). */
  instagram: InstagramView;
  /** The app's webhook subscription to the Page as last read or written (connect, check). */
  subscription: SubscriptionSummary;
}


/** A Page bound to its stored token: Graph calls carry it (with appsecret_proof) without the caller seeing it. */
export interface PageHandle {
  readonly id: string;
  /**
   * The Page token, decrypted. Concurrent calls share one read; repeated calls hit the cache.
   * @throws PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN, PK_DECRYPT_FAILED, PK_KEY_UNKNOWN
   */
  token(): Promise<string>;
  /** debug_token for the Page token (https://developers.facebook.com/docs/graph-api/reference/debug_token/). */
  inspect(): Promise<TokenInspection>;
  /** `GET /{version}/{path}` with the Page token (https://developers.facebook.com/docs/graph-api/reference/page/). */
  get<T = unknown>(path: string, params?: Params, options?: CallOptions<T>): Promise<T>;
  /** `POST /{version}/{path}` with a JSON body and the Page token, e.g. `{page-id}/messages` (https://developers.facebook.com/docs/messenger-platform/reference/send-api/). */
  post<T = unknown>(path: string, body?: Record<string, unknown>, options?: CallOptions<T>): Promise<T>;
  /** The inbox of the Instagram account linked to the Page, with the Page token (docs/instagram.md). */
  readonly instagram: InstagramHandle;
  /**
   * Who a PSID is on this Page: name and picture from the User Profile API, cached in memory
   * (bounded, with a TTL), never logged or stored. @throws PK_PERSON_NOT_FOUND (docs/messenger-profile.md)
   */
  profile(psid: string): Promise<PersonProfile>;
  /** The Page's bot settings (Messenger Profile API), validated locally before any call (docs/messenger-profile.md). */
  readonly messengerProfile: MessengerProfileHandle;
  /** Uploads media once (`{ url }` or `{ file, type }`) and returns its reusable `attachmentId` (docs/messenger-profile.md). */
  uploadAttachment(input: UploadInput): Promise<UploadResult>;
}

export interface PageKeeper {
  /**
   * Turns a short-lived user token into never-expiring Page tokens, stored encrypted.
   * Refuses, storing nothing, a token that is expired, not a user token, of another app, or
   * without pages_show_list / pages_messaging.
   * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
   */
  connect(shortLivedUserToken: string, options?: ConnectOptions): Promise<ConnectResult>;
  /**
   * Facebook Login's callback half: exchanges the `code`, then connects.
   * https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#confirm
   */
  connectWithCode(input: { code: string; redirectUri: string }, options?: ConnectOptions): Promise<ConnectResult>;
  /** The Login dialog URL (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#login). */
  loginUrl(input: { redirectUri: string; state: string; scopes?: readonly string[]; rerequest?: boolean }): string;
  /** Every connected Page, by id. */
  pages(): Promise<PageSummary[]>;
  /** A Page bound to its token. Does not touch the database until used. */
  page(id: string): PageHandle;
  /**
   * Inspects every stored token with debug_token in batches of 50 and records each Page's health.
   * https://developers.facebook.com/docs/graph-api/batch-requests/
   */
  check(options?: SweepOptions): Promise<SweepResult>;
  /**
   * Re-encrypts every stored token under the active (first) key, in batches; safe to interrupt
   * and run again. Clears the token cache. (Not a Graph call: AES-256-GCM, key id per row.)
   */
  rotateKeys(options?: RotateKeysOptions): Promise<{ rotated: number; remaining: number }>;
  /**
   * Facebook's deauthorize callback: every token this user granted is marked invalid
   * (app_removed), Pages fail over to other admins' tokens, alerts go out.
   */
  handleDeauthorize(userId: string): Promise<DeauthorizeResult>;
  /** Latest health events (state changes) from the audit log, newest first. */
  events(options?: { limit?: number; pageId?: string; beforeId?: number }): Promise<HealthEvent[]>;
  /** Starts periodic, budget-paced, lease-partitioned sweeps; stopped by close() or the returned stop(). */
  schedule(options?: HealthSchedulerOptions): HealthScheduler;
  /** The health machinery (token failures, alerts). Not a stable API. */
  readonly health: HealthRuntime;
  /**
   * Messenger sending: direct `send`, the durable outbox (`enqueue`, `getMessage`,
   * `list`), `recordInbound` for the 24 h window, and `startWorker`. Built on first use.
   */
  readonly messenger: Messenger;
  /** People's names by PSID (`nameIfKnown` for pages that must not wait on Facebook). Memory only. */
  readonly people: PeopleDirectory;
  /**
   * Removes a Page (an operator's decision): its waiting messages are cancelled, its webhooks
   * unsubscribed where a token still works, its tokens deleted. Connecting it again brings it back.
   * @throws PK_PAGE_NOT_FOUND
   */
  removePage(pageId: string): Promise<RemovePageResult>;
  /**
   * Subscribes the app to the Page's webhooks again, now, with the token in use; the outcome is
   * recorded and returned (a refusal says why and what to do).
   * @throws PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN
   */
  resubscribe(pageId: string): Promise<SubscriptionSummary>;
  /** Closes the Graph connections and the database. */
  close(): Promise<void>;
  /** The internals other modules build on (outbox, health, service). Not a stable API. */
  readonly context: PageKeeperContext;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value.trim() === '') throw pkError('PK_CONFIG_MISSING', { name });
  return value;
}

/**
 * Builds a PageKeeper. Keys are checked before the database is opened: without a usable key
 * nothing is written (PK_KEYS_MISSING / PK_KEYS_INVALID).
 */
export async function createPageKeeper(options: PageKeeperOptions): Promise<PageKeeper> {
  const appId = required(options.appId, 'PAGEKEEPER_APP_ID');
  const appSecret = required(options.appSecret, 'PAGEKEEPER_APP_SECRET');
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const store = await createStore({ ...options.db, database: options.database, keys: options.keys, cwd: options.cwd, now: () => clock.now() });
  const graphUrl = (options.graphUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, '');
  const graphVersion = options.graphVersion ?? DEFAULT_GRAPH_VERSION;
  const graph = createGraphClient({ ...options.graph, graphUrl, graphVersion, appId, appSecret, logger });
  const context: PageKeeperContext = {
    config: {
      appId,
      graphUrl,
      graphVersion,
      dialogUrl: (options.dialogUrl ?? DEFAULT_DIALOG_URL).replace(/\/+$/, ''),
      ...(options.loginConfigId ? { loginConfigId: options.loginConfigId } : {}),
      databaseLocation: store.location,
      expiringWindowMs: options.expiringWindowMs ?? DEFAULT_EXPIRING_WINDOW_MS,
      instagram: options.instagram === true,
      webhookFields: options.webhookFields ?? DEFAULT_WEBHOOK_FIELDS,
    },
    appSecret,
    graph,
    store,
    logger,
    clock,
    tokens: createPageTokenCache(store, options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE),
  };
  return createPageKeeperFromContext(context, { notifiers: options.notifiers, notify: options.notify }, options.messenger, options.people);
}

/** The PageKeeper over an existing context (the service builds one context and shares it). */
export function createPageKeeperFromContext(
  context: PageKeeperContext,
  healthOptions: HealthRuntimeOptions = {},
  messengerOptions: PageKeeperOptions['messenger'] = {},
  peopleOptions: PageKeeperOptions['people'] = {},
): PageKeeper {
  const { graph, store, tokens } = context;
  const handles = new Map<string, PageHandle>();

  const health = createHealthRuntime(context, healthOptions);

  // A token Facebook refuses (190/102) is marked invalid at once and the call fails over to
  // another admin's token when repeating it is safe (src/health/call-with-failover.ts).
  function bound<T>(pageId: string, call: (token: string) => Promise<T>, idempotent = true): Promise<T> {
    return health.call(pageId, call, { idempotent });
  }
  const people = createPeopleDirectory(
    fetchPersonWith(graph, (pageId) => (fn, idempotent) => bound(pageId, fn, idempotent)),
    { ...peopleOptions, now: () => context.clock.now().getTime() },
  );

  function page(id: string): PageHandle {
    let handle = handles.get(id);
    if (handle) return handle;
    handle = {
      id,
      token: () => tokens.token(id),
      inspect: () => bound(id, (token) => inspectToken(context, token)),
      get: (path, params, opts = {}) => bound(id, (token) => graph.get(path, params, { ...opts, token })),
      post: (path, body, opts = {}) => bound(id, (token) => graph.post(path, body, { ...opts, token }), opts.idempotent ?? false),
      instagram: createInstagramHandle(id, () => messengerOf()),
      ...createPagePlatform(id, graph, (fn, idempotent) => bound(id, fn, idempotent), people),
    };
    // Handles are tiny and stateless; keep a bounded number to avoid churn in hot loops.
    if (handles.size < 10_000) handles.set(id, handle);
    return handle;
  }

  let messenger: Messenger | undefined;
  // Send failures on 190/102 go through the same handler as every other call (mark, audit, fail over).
  const messengerOf = (): Messenger =>
    (messenger ??= createMessenger(context, {
      ...messengerOptions,
      onTokenInvalid: async (pageId, userId, e) => {
        await health.failures.handle({ pageId, userId, reason: e.tokenReason ?? 'invalid', code: e.code, subcode: e.subcode, source: 'send' });
      },
    }));

  let closing: Promise<void> | undefined;
  return {
    get messenger() {
      return messengerOf();
    },
    context,
    people,
    connect: (token, opts) => health.connect(() => connect(context, token, pageHealthFromStore, opts)),
    async connectWithCode(input, opts) {
      const short = await exchangeCode(context, input);
      return health.connect(() => connect(context, short.accessToken, pageHealthFromStore, opts));
    },
    loginUrl: (input) =>
      buildLoginUrl({
        dialogUrl: context.config.dialogUrl,
        version: context.config.graphVersion,
        appId: context.config.appId,
        redirectUri: input.redirectUri,
        state: input.state,
        scopes: input.scopes ?? loginScopesFor(context.config),
        rerequest: input.rerequest,
        configId: context.config.loginConfigId,
      }),
    async pages() {
      const pages = await store.pages.list();
      const links = await store.instagram.many(pages.map((p) => p.id));
      const subscriptions = await store.subscriptions.list();
      return pages.map((p) => ({ ...toSummary(p, subscriptions.get(p.id)), instagram: judgeInstagram(links.get(p.id)) }));
    },
    page,
    check: (opts) => sweep(context, opts).finally(() => health.changed()),
    rotateKeys: (opts) => rotateKeys(store, opts).finally(() => tokens.clear()),
    health,
    handleDeauthorize: (userId) => health.handleDeauthorize(userId),
    events: (opts) => health.events(opts),
    schedule: (opts) => health.schedule(opts),
    removePage: (pageId) => removePage(context, pageId).finally(() => health.changed()),
    async resubscribe(pageId) {
      const sub = await resubscribePage(context, pageId);
      return { subscribed: sub.subscribed, fields: sub.fields, checkedAt: context.clock.now(), reason: sub.reason, fix: sub.fix };
    },
    close() {
      closing ??= (async () => {
        await messenger?.stop();
        await health.close();
        tokens.clear();
        people.clear();
        await Promise.allSettled([graph.close(), store.close()]);
      })();
      return closing;
    },
  };
}

/** The token in use is the first valid one in failover order (messaging granted, then oldest). */
/** The library's summary of the one page view (src/tokens/page-view.ts). */
function toSummary(p: PageWithTokens, sub: StoredSubscription | undefined): Omit<PageSummary, 'instagram'> {
  const view = toPageView(p, sub);
  return {
    id: view.id,
    name: view.name,
    category: view.category,
    tasks: view.tasks,
    status: view.status,
    reason: view.reason,
    fix: view.fix,
    warning: view.warning,
    tokenExpiresAt: view.tokenExpiresAt === 'never' ? null : view.tokenExpiresAt,
    dataAccessExpiresAt: view.dataAccessExpiresAt,
    lastCheckedAt: view.lastCheckedAt,
    tokens: { total: p.tokens.length, valid: p.tokens.filter((t) => t.status === 'valid').length },
    subscription: view.subscription,
  };
}
