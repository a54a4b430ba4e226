import type { InstagramView } from '../tokens/instagram-capability.js';
/**
 * What the service needs from the rest of pagekeeper, as one interface. Routes depend on this,
 * not on createPageKeeper or the store directly, so each route can be tested with a small
 * stand-in and the real wiring lives in one adapter (create-service-deps.ts).
 */
import type { ActivityRollupRepository } from '../store/activity-rollup-repository.js';
import type { AdminSessionRepository } from '../store/admin-session-repository.js';
import type { ConnectResultRepository } from '../store/connect-result-repository.js';
import type { CallbackReplayRepository } from '../store/callback-replay-repository.js';
import type { AuditEntry } from '../store/types.js';
import type { PageStatus } from '../core/types.js';
import type { MessageView } from '../messenger/outbox.js';
import type { ConsoleMessageDetail, ConsoleMessageView, RetryResult } from '../messenger/outbox-console.js';
import type { OutboxStatus } from '../store/outbox-repository.js';
import type { RemovePageResult } from '../tokens/remove-page.js';
import type { PageTokenView, PageView as CorePageView } from '../tokens/page-view.js';
import type { ApiKeyStore } from './api-keys/create-api-key-store.js';
import type { MessageStatusEvent } from '../messenger/outcome-events.js';
import type { InboundContact, ReceiptEvent } from './webhooks/webhook-event.js';
import type { TenantRegistry } from './tenants/tenant-registry.js';
import type { MessengerProfile, MessengerProfileField } from '../messenger/messenger-profile.js';
import type { PersonProfile } from '../messenger/person-profile.js';

/** Settings the service reads (a subset of PageKeeperConfig, normalised). */
export interface ServiceConfig {
  appId: string | undefined;
  appSecret: string | undefined;
  /** Base URL people and Facebook reach the service at; the OAuth redirect URI is built from it. */
  publicUrl: string | undefined;
  verifyToken: string | undefined;
  adminKey: string | undefined;
  forwardUrl: string | undefined;
  /** PAGEKEEPER_FORWARD_SECRET: signs what is forwarded to forwardUrl (`X-Pagekeeper-Signature`). */
  forwardSecret: string | undefined;
  /** PAGEKEEPER_METRICS_KEY: when set, GET /metrics needs `Authorization: Bearer <key>`. */
  metricsKey?: string | undefined;
  /** Derives the cookie keys (connect state, admin session) when no app secret is set. */
  cookieSecret: string;
  /** `--dev` on a loopback address: the dashboard is open without login. */
  devOpenDashboard: boolean;
  /**
   * PAGEKEEPER_RETURN_ORIGINS: the origins (`https://app.example.com`) a connect link may return
   * to. Empty or absent: no connect links can be created.
   */
  returnOrigins?: readonly string[];
  /** The Graph version the PageKeeper calls; the dashboard warns from 90 days before it ends. */
  graphVersion?: string;
}

/** The page view every surface shares (src/tokens/page-view.ts), plus the linked Instagram account. */
export type PageView = CorePageView & {
  /** The linked Instagram account and whether pagekeeper can message it (docs/instagram.md). */
  instagram?: InstagramView;
};
export type { PageTokenView };

/** What the OAuth callback reports to the person. */
export interface ConnectOutcome {
  userId: string;
  userName: string | null;
  pages: Array<{ id: string; name: string; status: PageStatus; reason: string | null }>;
  /** Problems worth showing (missing permissions, pages that could not be stored, ...). */
  problems: string[];
  /** Pages this person grants now and did not before (all of them the first time). */
  added?: string[];
  /** Pages this person no longer grants; their token from this person was dropped. */
  removed?: string[];
}

/** A queued message's state, as `GET /v1/messages/:id` and `pagekeeper outbox` show it. */
export type { MessageView };

/**
 * The outbox, written by its own module; the service only calls these.
 * enqueue validates the body (PK_MESSAGE_INVALID), refuses unknown pages (PK_PAGE_NOT_FOUND)
 * and, for a repeated idempotency key, returns the first message with `duplicate: true`
 * (or throws PK_DUPLICATE when the key was used for a different body).
 */
export interface OutboxPort {
  /** `idempotencyScope` is the calling API key's id: keys of different callers never meet. */
  enqueue(pageId: string, body: unknown, options: { idempotencyKey?: string; idempotencyScope?: string; channel?: 'messenger' | 'instagram' }): Promise<{ id: string; status: string; duplicate: boolean }>;
  get(id: string): Promise<MessageView | undefined>;
}

export interface ServiceDeps {
  config: ServiceConfig;
  apiKeys: ApiKeyStore;
  pages: {
    list(): Promise<PageView[]>;
    get(id: string): Promise<PageView | undefined>;
    /** The decrypted page token. @throws PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN */
    token(id: string): Promise<string>;
    /** Runs a health check now and returns the page afterwards. @throws PK_PAGE_NOT_FOUND */
    check(id: string): Promise<PageView>;
  };
  /**
   * One Graph call as the Page (its token and appsecret_proof added inside), with the library's
   * failover, invalidation, retries and throttling. Graph's refusals come back as GraphError.
   */
  graphProxy?(pageId: string, request: GraphProxyRequest): Promise<GraphProxyAnswer>;
  /**
   * An app that used a raw Page token reports Facebook's refusal: the token in use is marked
   * invalid at once and the Page fails over. @throws PK_PAGE_NOT_FOUND, PK_VALIDATION (not a token error code)
   */
  reportTokenFailure?(pageId: string, failure: { code: number; subcode: number | null }): Promise<TokenFailureReport>;
  /** Facebook Login; absent when the app id/secret are not configured. */
  connect?: {
    loginUrl(state: string, redirectUri: string): string;
    /** Exchanges the code (then short -> long), discovers and stores pages. Stores nothing on failure. */
    complete(code: string, redirectUri: string, options?: { onlyPages?: readonly string[] }): Promise<ConnectOutcome>;
  };
  outbox?: OutboxPort;
  /** Opens the 24-hour window for these people (conversations table). */
  recordInbound(contacts: readonly InboundContact[]): Promise<void>;
  /** Delivery and read receipts move sent messages to `delivered` / `read`. */
  recordReceipts?(receipts: readonly ReceiptEvent[]): Promise<void>;
  /** Outbox state changes (`message.status` events); @returns the unsubscribe function. */
  onMessageStatus?(listener: (event: MessageStatusEvent) => void): () => void;
  /** The person removed the app: mark their tokens unusable. */
  handleDeauthorize?(userId: string): Promise<void>;
  /** Deletes the user's tokens and data; records the request under `confirmationCode`. */
  deleteUserData(userId: string, confirmationCode: string): Promise<void>;
  dataDeletionStatus(confirmationCode: string): Promise<{ status: string; requestedAt: Date; completedAt: Date | null } | undefined>;
  recentEvents(limit: number): Promise<AuditEntry[]>;
  /** Outbox rows by status, for the dashboard and metrics. */
  outboxCounts(): Promise<Record<string, number>>;
  /** signed_request values already acted on, shared by every instance on the database. */
  callbackReplays: CallbackReplayRepository;
  /** Dashboard sessions: logout ends one on every instance. */
  adminSessions: AdminSessionRepository;
  /** The current time in ms (the library's clock). */
  now(): number;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  /**
   * The tenants this process holds; absent: a single-tenant service (every key reaches the one
   * set of Pages, and tenant keys are refused).
   */
  tenants?: TenantRegistry;
  /** Extra Prometheus samples (Graph calls by outcome, rate budget) when the client exposes them. */
  extraMetrics?(): Promise<MetricSample[]> | MetricSample[];
  /** Login callback outcomes shown after the redirect away from /oauth/callback. */
  connectResults: ConnectResultRepository;
  /** The counts behind the dashboard's charts; absent: no charts. */
  activity?: ActivityReader;
  /** Who a PSID is (User Profile API, cached in memory, never logged); docs/messenger-profile.md. */
  people?: PeoplePort;
  /** The Page's bot settings (Messenger Profile API), validated before any call. */
  messengerProfile?: MessengerProfilePort;
  /** The operations console: the outbox browser and its actions, Page removal and re-subscribe, the audit log. */
  console?: ConsolePort;
  /**
   * A person's name where pagekeeper knows it (the dashboard shows it beside the PSID); undefined
   * when not known. Optional: without it only ids are shown.
   */
  nameOf?(pageId: string, psid: string): Promise<string | undefined> | string | undefined;
}

export interface PeoplePort {
  /** @throws PK_PERSON_NOT_FOUND, PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN, a GraphError */
  profile(pageId: string, psid: string): Promise<PersonProfile>;
  /** The name when known or learnt within `waitMs`; undefined otherwise (the lookup goes on). Never throws. */
  nameIfKnown(pageId: string, psid: string, waitMs?: number): Promise<string | undefined>;
}

export interface MessengerProfilePort {
  get(pageId: string): Promise<MessengerProfile>;
  /** @throws PK_BOT_PROFILE_INVALID before any Graph call */
  set(pageId: string, profile: MessengerProfile): Promise<void>;
  delete(pageId: string, fields: readonly MessengerProfileField[]): Promise<void>;
}

/** Filters of the outbox browser (GET /v1/messages, /messages, `pagekeeper messages`). */
export interface MessageFilter {
  status?: OutboxStatus;
  pageId?: string;
  /** Only these Pages (a key limited to some Pages). */
  pageIds?: readonly string[];
  since?: Date;
  until?: Date;
  /** Keyset paging: messages older than this one (its id). */
  before?: string;
  limit?: number;
}

/** Filters of the audit log (/events, GET /v1/audit-log). */
export interface EventFilter {
  pageId?: string;
  event?: string;
  since?: Date;
  until?: Date;
  beforeId?: number;
  limit?: number;
}

export interface ConsolePort {
  messages(filter: MessageFilter): Promise<ConsoleMessageView[]>;
  message(id: string): Promise<ConsoleMessageDetail | undefined>;
  /** @throws PK_NOT_FOUND, PK_MESSAGE_NOT_RETRYABLE, PK_PAGE_NOT_FOUND, PK_OUTSIDE_WINDOW */
  retry(id: string): Promise<RetryResult>;
  /** @throws PK_NOT_FOUND, PK_MESSAGE_NOT_CANCELLABLE */
  cancel(id: string): Promise<ConsoleMessageView>;
  /** @throws PK_PAGE_NOT_FOUND */
  removePage(pageId: string): Promise<RemovePageResult>;
  /** @throws PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN */
  resubscribe(pageId: string): Promise<PageView>;
  /** People inside the 24-hour window of the Page now. */
  openWindows(pageId: string): Promise<number>;
  /** Who granted each token: the connected person's (or system user's) name and granted permissions. */
  owners(userIds: readonly string[]): Promise<Map<string, { name: string; scopes: string[] }>>;
  events(filter: EventFilter): Promise<AuditEntry[]>;
  eventKinds(): Promise<string[]>;
}

/** Reads of the chart rollups (src/store/activity-rollup-repository.ts). */
export type ActivityReader = Pick<ActivityRollupRepository, 'messages' | 'usage' | 'pageStatuses' | 'countPageStatuses'>;

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labels?: Record<string, string>;
  value: number;
}

export interface GraphProxyRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the Graph version, e.g. `123/feed` or `me/conversations`. */
  path: string;
  params: Record<string, string>;
  json?: unknown;
}

export interface GraphProxyAnswer {
  status: number;
  body: unknown;
  /** Graph's usage headers (X-App-Usage, X-Business-Use-Case-Usage, X-Page-Usage). */
  headers: Record<string, string>;
  /** The first token was refused mid-call and the call was repeated with another admin's token. */
  failedOver: boolean;
}

export interface TokenFailureReport {
  /** Whether this report turned the token in use from valid to invalid. */
  invalidated: boolean;
  /** The Page after the report: its status and how many valid tokens are left. */
  page: { id: string; status: PageStatus; validTokens: number } | null;
}
