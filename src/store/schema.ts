import type { Generated } from 'kysely';

/**
 * Table shapes as stored: snake_case columns, timestamps as unix milliseconds (bigint in
 * PostgreSQL, parsed back to number by open-database.ts), JSON as text, booleans as 0/1.
 * Repositories map these rows to camelCase domain objects; nothing outside src/store should
 * need these types except for new repositories.
 */
export interface Database {
  users: UsersTable;
  pages: PagesTable;
  page_tokens: PageTokensTable;
  audit_log: AuditLogTable;
  outbox: OutboxTable;
  conversations: ConversationsTable;
  page_instagram: PageInstagramTable;
  api_keys: ApiKeysTable;
  notifications: NotificationsTable;
  leases: LeasesTable;
  data_deletions: DataDeletionsTable;
  meta: MetaTable;
  callback_replays: CallbackReplaysTable;
  admin_sessions: AdminSessionsTable;
  tenants: TenantsTable;
  connect_sessions: ConnectSessionsTable;
  message_rollups: MessageRollupsTable;
  page_usage_rollups: PageUsageRollupsTable;
  page_status_rollups: PageStatusRollupsTable;
  connect_results: ConnectResultsTable;
  outbox_history: OutboxHistoryTable;
  outbox_page_slots: OutboxPageSlotsTable;
}

export type TokenStatusColumn = 'valid' | 'invalid';
/** Whose token a connection holds: a person's or a system user's (Business Settings). */
export type TokenKindColumn = 'user' | 'system_user';
export type PageStatusColumn = 'healthy' | 'expiring' | 'needs_reauth' | 'missing_permission';
export type OutboxStatusColumn = 'queued' | 'sending' | 'sent' | 'failed' | 'held' | 'unknown' | 'delivered' | 'read' | 'cancelled';

export interface UsersTable {
  /** Facebook (app-scoped) user id. */
  id: string;
  name: string;
  token_ciphertext: string;
  token_key_id: string;
  token_expires_at: number | null;
  data_access_expires_at: number | null;
  /** JSON array of granted permission names. */
  scopes: string;
  status: TokenStatusColumn;
  invalid_reason: string | null;
  /** Added by 0007_token_kind; `user` for every earlier row. */
  token_kind: Generated<TokenKindColumn>;
  connected_at: number;
  updated_at: number;
}

export interface PagesTable {
  id: string;
  name: string;
  category: string | null;
  status: PageStatusColumn;
  reason: string | null;
  fix: string | null;
  warning: string | null;
  last_checked_at: number | null;
  connected_at: number;
  updated_at: number;
  /** Set when no connected user grants this page any more. */
  removed_at: number | null;
  /** The app's webhook subscription to the page: 1/0, null until first known (migration 0003). */
  subscribed: number | null;
  /** JSON array of the subscribed webhook fields. */
  subscribed_fields: string | null;
  subscription_checked_at: number | null;
  /** Why pagekeeper could not subscribe the page, and what to do; null when it could. */
  subscription_problem: string | null;
  subscription_fix: string | null;
}

export interface PageTokensTable {
  page_id: string;
  user_id: string;
  token_ciphertext: string;
  key_id: string;
  /** JSON array of the granting user's tasks on the page (MANAGE, MESSAGING, ...). */
  tasks: string;
  status: TokenStatusColumn;
  invalid_reason: string | null;
  invalid_subcode: number | null;
  /** null means never expires. */
  expires_at: number | null;
  data_access_expires_at: number | null;
  messaging_granted: number;
  /** The granting user's token kind (0007_token_kind). */
  token_kind: Generated<TokenKindColumn>;
  last_checked_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  event: string;
  page_id: string | null;
  user_id: string | null;
  old_state: string | null;
  new_state: string | null;
  reason: string | null;
  /** JSON object; never holds secrets. */
  detail: string | null;
}

export interface OutboxTable {
  /** `msg_` + random. */
  id: string;
  /** Insertion order, for per-recipient ordering across instances. */
  seq: Generated<number>;
  page_id: string;
  psid: string;
  idempotency_key: string | null;
  /** JSON of the Send API body without `recipient`. */
  payload: string;
  status: OutboxStatusColumn;
  at_least_once: number;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claim_expires_at: number | null;
  message_id: string | null;
  error_code: number | null;
  error_subcode: number | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  /** `messenger` or `instagram` (migration 0009). */
  channel: Generated<string>;
  /** The message this one retries (migration 0013); null for a first send. */
  retry_of: Generated<string | null>;
}

/** What happened to a message besides a plain send (migration 0013). */
export interface OutboxHistoryTable {
  id: Generated<number>;
  message_id: string;
  at: number;
  status: string;
  error_code: number | null;
  error_subcode: number | null;
  error_message: string | null;
  note: string | null;
}

/** The Instagram account linked to a Page (migration 0009); null `ig_id` = none linked. */
export interface PageInstagramTable {
  page_id: string;
  ig_id: string | null;
  username: string | null;
  link: string | null;
  /** JSON array. */
  scopes: Generated<string>;
  checked_at: number;
}

export interface ConversationsTable {
  page_id: string;
  psid: string;
  last_inbound_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** JSON array of scopes. */
  scopes: string;
  /** sha256 hex of the key; the key itself is never stored. */
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** The tenant whose Pages the key reaches; null: an admin key (the default tenant, as before tenants). */
  tenant_id: string | null;
  /** JSON array of Page ids the key is limited to within its tenant; null: every Page of the tenant. */
  page_ids: string | null;
}

export interface NotificationsTable {
  id: Generated<number>;
  /** audit_log.id of the event being notified. */
  event_id: number;
  notifier: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_at: number | null;
  payload: string;
}

/** A Page's send schedule shared by every instance (migration 0015; src/messenger/page-slots.ts). */
export interface OutboxPageSlotsTable {
  /** The throttle key: a Page id, `instagram:<page id>` for its Instagram sends, `<key>#media` for audio and video. */
  page_key: string;
  /** Start of the next free slot, µs since the epoch. */
  next_us: number;
  /** The last reservation's earliest start and length (µs), read by the upsert as `excluded`. */
  floor_us: number;
  span_us: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface DataDeletionsTable {
  confirmation_code: string;
  user_id: string;
  requested_at: number;
  completed_at: number | null;
  status: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** A Facebook callback's signed_request that was acted on, and the answer given (migration 0006). */
export interface CallbackReplaysTable {
  /** sha256 hex of the signed_request text. */
  key: string;
  /** `deauthorize` or `data-deletion`. */
  purpose: string;
  /** The JSON answer returned the first time. */
  answer: string;
  seen_at: number;
  expires_at: number;
}

/** A signed-in dashboard session (migration 0006); the cookie carries the id, the table only its hash. */
export interface AdminSessionsTable {
  id_hash: string;
  created_at: number;
  expires_at: number;
}

export interface TenantsTable {
  /** Chosen by the product (its own customer id). */
  id: string;
  name: string;
  /** Where this tenant's Messenger webhook events and connect.completed events are forwarded. */
  forward_url: string | null;
  /** Where this tenant's health alerts go. */
  alert_url: string | null;
  /** The HMAC key that signs what is sent to forward_url and alert_url, encrypted under PAGEKEEPER_KEYS. */
  webhook_secret_ciphertext: string | null;
  webhook_secret_key_id: string | null;
  created_at: number;
  updated_at: number;
}

export type ConnectSessionStatusColumn = 'pending' | 'opened' | 'success' | 'cancelled' | 'error';

export interface ConnectSessionsTable {
  /** `cs_` + random; public handle (GET /v1/connect-sessions/{id}). */
  id: string;
  tenant_id: string;
  return_url: string;
  /** JSON array of Page ids the connect is limited to; null: every Page granted. */
  pages: string | null;
  /** sha256 hex of the link's secret part; the link itself is never stored. */
  link_hash: string;
  /** sha256 hex of the Login dialog `state` once the link was opened. */
  state_hash: string | null;
  status: ConnectSessionStatusColumn;
  /** JSON of the outcome (Pages gained, lost, problems); never holds a token. */
  result: string | null;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

/** Outbox outcomes per Page and bucket (migration 0010). */
export interface MessageRollupsTable {
  page_id: string;
  /** `hour` or `day`. */
  span: string;
  /** Start of the UTC hour or day, unix ms. */
  bucket: number;
  sent: number;
  failed: number;
  held: number;
  unknown: number;
  /** Summed over when read (migration 0010). */
  shard: Generated<number>;
}

/** The highest rate-budget percent a Page's usage headers reported in an hour (migration 0010). */
export interface PageUsageRollupsTable {
  page_id: string;
  bucket: number;
  max_percent: number;
}

/** How many Pages were in each status when the health sweep last looked in an hour (migration 0010). */
export interface PageStatusRollupsTable {
  bucket: number;
  status: string;
  pages: number;
}

/** A Login callback's outcome, shown once the browser is redirected away from the callback (migration 0010). */
export interface ConnectResultsTable {
  id_hash: string;
  status: number;
  body: string;
  expires_at: number;
}
