/**
 * pagekeeper's Graph API emulator, in-process: `startEmulator()` listens and resolves with the
 * same object `pagekeeper emulator` prints as its ready line, plus `close()` and `control`.
 *
 *   import { startEmulator } from 'pagekeeper/emulator';
 *   const emu = await startEmulator();               // http://127.0.0.1:<free port>
 *   const user = emu.users[0];                        // shortLivedToken, pages
 *   await emu.control.inbound(user.pages[0].id, { text: 'hi' });
 *   await emu.close();
 */
import type { AddressInfo } from 'node:net';
import { publicUser, seedInput } from './control.js';
import { buildEmulatorServer } from './server.js';
import type { SeedSpec } from './state.js';
import { DEFAULT_SEED } from './state.js';

export { buildEmulatorServer } from './server.js';
export type { EmulatorServer, EmulatorServerOptions } from './server.js';
export { DEFAULT_SEED } from './state.js';
export type { SeedSpec, UserSpec, PageSpec } from './state.js';
export { facebookJson, signatureHeader, signedRequest } from './webhooks.js';
export { DEFAULT_VERSION, SUPPORTED_VERSIONS } from './graph.js';

export interface EmulatorPageInfo {
  id: string;
  name: string;
  tasks: string[];
  /** The linked Instagram account, when the Page has one. */
  instagram?: { id: string; username: string; link: 'business' | 'connected' };
}

export interface EmulatorUserInfo {
  id: string;
  name: string;
  shortLivedToken: string;
  pages: EmulatorPageInfo[];
}

/** Exactly the ready line of `pagekeeper emulator`. */
export interface EmulatorInfo {
  url: string;
  dialogUrl: string;
  appId: string;
  appSecret: string;
  users: EmulatorUserInfo[];
}

export interface StartEmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A seed object (validated) or nothing for the default: one app, one user with three pages. */
  seed?: SeedSpec;
  requireAppsecretProof?: boolean;
  /** Hold every Graph answer back by `ms` (plus up to +/- `jitterMs`) to model a real round trip; see docs/emulator.md. */
  latency?: { ms: number; jitterMs?: number; match?: string };
  /** Real-time source in ms (tests may pin it); the emulator clock adds advanced seconds to it. */
  now?: () => number;
}

export type EventType = 'password_changed' | 'app_removed' | 'logged_out' | 'checkpoint' | 'page_role_removed';
export type FaultKind = 'http500' | 'http503' | 'reset' | 'timeout' | 'html502' | 'malformed_json' | 'transient';

export interface SentMessageInfo {
  messageId: string;
  recipientId: string;
  messagingType: string | null;
  tag: string | null;
  message: unknown;
  senderAction?: string;
  at: string;
}

export interface DeliveryAttemptInfo {
  at: string;
  status?: number;
  error?: string;
}

export interface InboundResult {
  psid: string;
  mid: string;
  delivered: boolean;
  webhookStatus?: number;
  /** Present when a webhook is set: every POST made, retries included. */
  attempts?: DeliveryAttemptInfo[];
  /** Why nothing was sent: no or inactive app subscription, or the Page not subscribed with `messages`. */
  notDelivered?: string;
}

export interface DataDeletionResult {
  delivered: boolean;
  status?: number;
  error?: string;
  valid?: boolean;
  answer?: { url: string; confirmation_code: string };
  problem?: string;
}

export interface WebhookStatus {
  configured: boolean;
  url?: string;
  deauthorizeUrl?: string;
  dataDeletionUrl?: string;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** The app-level `page` subscription; null when there is none. */
  subscription: { callbackUrl: string; fields: string[]; active: boolean } | null;
  deliveries: { kind: 'messages' | 'deauthorize' | 'data_deletion'; url: string; delivered: boolean; status?: number; error?: string; attempts: DeliveryAttemptInfo[] }[];
}

/** Typed shortcuts for the control API (docs/emulator.md); each goes through the same HTTP routes and validation. */
export interface EmulatorControl {
  request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  createUser(input: {
    name: string;
    /**
     * `subscribed: false` starts a new Page without the app subscribed to it (default: subscribed as if done before);
     * `instagram` links an Instagram professional account to it.
     */
    pages?: ({ name: string; tasks?: string[]; category?: string; subscribed?: boolean; instagram?: { username: string; link?: 'business' | 'connected' } } | { id: string; tasks?: string[] })[];
    scopes?: string[];
    businessPages?: { name?: string; id?: string; tasks?: string[]; relation?: 'owned' | 'client' }[];
  }): Promise<EmulatorUserInfo>;
  shortLivedToken(userId: string, scopes?: string[]): Promise<{ accessToken: string; expiresIn: number }>;
  event(userId: string, type: EventType, pageId?: string): Promise<void>;
  advanceClock(seconds: number): Promise<{ now: number }>;
  addFault(fault: { match: string; kind: FaultKind; count?: number; rate?: number; delayMs?: number }): Promise<void>;
  clearFaults(): Promise<void>;
  setLimits(limits: { enabled?: boolean; pageId?: string; sendPerSecond?: number; pageCallsPerWindow?: number; windowSeconds?: number; appCallsPerWindow?: number }): Promise<void>;
  /** `maxAttempts` (default 3) and `retryDelayMs` (default 100, doubling) shape retries of failed messaging deliveries. */
  setWebhook(config: { url: string; verifyToken: string; deauthorizeUrl?: string; dataDeletionUrl?: string; maxAttempts?: number; retryDelayMs?: number }): Promise<void>;
  /** A person writes to the Page; `role` also gives them a role on the app (development mode reaches only them). */
  inbound(pageId: string, input: { text: string; psid?: string; role?: 'admin' | 'developer' | 'tester' | null }): Promise<InboundResult>;
  /** Development mode: sends reach only people with a role on the app (code 10 for the rest). */
  setAppMode(mode: 'development' | 'live'): Promise<void>;
  setRole(personId: string, role: 'admin' | 'developer' | 'tester' | null): Promise<void>;
  /** The person's Messenger delivered or read what the Page sent up to `watermark` (ms; default now): sends the receipt webhook. */
  receipt(pageId: string, input: { psid: string; type: 'delivery' | 'read'; watermark?: number }): Promise<{ delivered: boolean; watermark: number }>;
  deauthorize(userId: string): Promise<{ delivered: boolean; status?: number }>;
  /** POSTs the data-deletion signed_request; `valid` says whether the app answered {"url","confirmation_code"}. */
  dataDeletion(userId: string): Promise<DataDeletionResult>;
  /** The webhook settings and the last 100 deliveries with every attempt. */
  webhook(): Promise<WebhookStatus>;
  /** Marks a person who messaged the page as (un)reachable: unavailable sends answer 551/1545041. */
  setAvailable(pageId: string, psid: string, available: boolean): Promise<void>;
  sentMessages(pageId: string): Promise<SentMessageInfo[]>;
  /** A person writes to the Instagram account: sends the signed `object: "instagram"` webhook. */
  instagramInbound(igId: string, input: { text: string; igsid?: string; role?: 'admin' | 'developer' | 'tester' | null }): Promise<{ igsid: string; mid: string; delivered: boolean; webhookStatus?: number }>;
  /** What the Page sent to the Instagram account's people. */
  instagramMessages(igId: string): Promise<SentMessageInfo[]>;
  /** The app's subscription to the Page: its fields, or null when not subscribed. */
  pageSubscription(pageId: string): Promise<{ subscribedFields: string[] | null }>;
  /** Facebook drops the app's subscription to the Page (as after an hour of failed deliveries). */
  dropPageSubscription(pageId: string): Promise<void>;
  stats(): Promise<{ calls: Record<string, number>; total: number }>;
  resetStats(): Promise<void>;
  /** Holds every Graph answer back by `ms` (+/- `jitterMs`), only for paths containing `match` when given; `{ ms: 0 }` turns it off. */
  setLatency(latency: { ms: number; jitterMs?: number; match?: string }): Promise<{ ms: number; jitterMs: number; match: string | null }>;
  /** App settings, a partial update: `type` business makes the Login dialog require `config_id`. */
  setApp(settings: { type?: 'business' | 'consumer'; mode?: 'development' | 'live' }): Promise<{ id: string; name: string; type: 'business' | 'consumer'; mode: 'development' | 'live' }>;
  /** A Facebook Login for Business configuration; its id goes in the dialog's `config_id`. */
  createLoginConfig(input: { permissions: string[]; tokenType: 'user' | 'system_user' }): Promise<{ id: string }>;
  /** A business's system user with Pages assigned; its token never expires unless `expiresInDays` is given (60 in Business Settings). */
  createSystemUser(input: { name: string; pages: { id: string; tasks?: string[] }[]; expiresInDays?: number; scopes?: string[]; accounts?: 'listed' | 'empty' | 'refused' }): Promise<{ id: string; accessToken: string }>;
  /** `app_removed`: the business removed the app; every token of the system user stops working (190/458). */
  systemUserEvent(systemUserId: string, type: 'app_removed'): Promise<void>;
  /** Who the person behind a PSID is (User Profile API); `available: false`: Facebook has no profile for them. */
  setPerson(pageId: string, psid: string, profile: { first_name?: string; last_name?: string; profile_pic?: string; locale?: string; timezone?: number; gender?: string; available?: boolean }): Promise<unknown>;
  /** The Page's Messenger Profile as stored, and the calls spent in the current 10-minute window. */
  messengerProfile(pageId: string): Promise<{ profile: Record<string, unknown>; callsInWindow: number }>;
  /** Attachments uploaded through `/me/message_attachments`. */
  attachments(pageId: string): Promise<{ id: string; type: string; url: string | null; file: { filename: string | null; contentType: string | null; bytes: number } | null; reusable: boolean }[]>;
}

export interface RunningEmulator extends EmulatorInfo {
  close(): Promise<void>;
  control: EmulatorControl;
}

/** Validates a seed (e.g. from `--seed FILE`); throws with a readable message when it is wrong. */
export function parseSeed(input: unknown): SeedSpec {
  const r = seedInput.safeParse(input);
  if (!r.success) throw new Error(`invalid emulator seed: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = options.seed ? parseSeed(options.seed) : DEFAULT_SEED;
  const server = buildEmulatorServer({ seed, requireAppsecretProof: options.requireAppsecretProof ?? false, ...(options.now ? { now: options.now } : {}), ...(options.latency ? { latency: options.latency } : {}) });
  const host = options.host ?? '127.0.0.1';
  await server.app.listen({ host, port: options.port ?? 0 });
  const addr = server.app.server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}`;
  const { state } = server;
  const users = server.seeded.map(({ userId, token }) => publicUser(state, state.users.get(userId)!, token));

  const request = async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await server.app.inject({ method, url: `/_emulator/${path.replace(/^\/+/, '')}`, ...(body !== undefined ? { payload: body as object } : {}) });
    const json = res.body ? (JSON.parse(res.body) as unknown) : undefined;
    if (res.statusCode >= 300) throw new Error(`emulator control ${method} ${path} failed (${res.statusCode}): ${(json as { error?: string })?.error ?? res.body}`);
    return json as T;
  };

  return {
    url,
    dialogUrl: url,
    appId: state.app.id,
    appSecret: state.app.secret,
    users,
    close: () => server.app.close(),
    control: emulatorControl(request),
  };
}

/**
 * The typed shortcuts over one `request` to the control API (`path` relative to `/_emulator/`):
 * in-process through Fastify's inject, or over HTTP to an emulator in another process.
 */
export function emulatorControl(request: EmulatorControl['request']): EmulatorControl {
  return {
    request,
    createUser: (input) => request('POST', 'users', input),
    shortLivedToken: (userId, scopes) => request('POST', `users/${userId}/short-lived-token`, scopes ? { scopes } : {}),
    event: async (userId, type, pageId) => void (await request('POST', `users/${userId}/events`, pageId ? { type, pageId } : { type })),
    advanceClock: (seconds) => request('POST', 'clock', { advanceSeconds: seconds }),
    addFault: async (fault) => void (await request('POST', 'faults', fault)),
    clearFaults: async () => void (await request('DELETE', 'faults')),
    setLimits: async (limits) => void (await request('PUT', 'limits', limits)),
    setWebhook: async (config) => void (await request('PUT', 'webhook', config)),
    inbound: (pageId, input) => request('POST', `pages/${pageId}/inbound`, input),
    setAppMode: async (mode) => void (await request('PUT', 'app', { mode })),
    setRole: async (personId, role) => void (await request('POST', `users/${personId}/role`, { role })),
    receipt: (pageId, input) => request('POST', `pages/${pageId}/receipts`, input),
    deauthorize: (userId) => request('POST', `users/${userId}/deauthorize`, {}),
    dataDeletion: (userId) => request('POST', `users/${userId}/data-deletion`, {}),
    webhook: () => request('GET', 'webhook'),
    setAvailable: async (pageId, psid, available) => void (await request('POST', `pages/${pageId}/conversations/${psid}`, { available })),
    sentMessages: async (pageId) => (await request<{ data: SentMessageInfo[] }>('GET', `pages/${pageId}/messages`)).data,
    instagramInbound: (igId, input) => request('POST', `instagram/${igId}/inbound`, input),
    instagramMessages: async (igId) => (await request<{ data: SentMessageInfo[] }>('GET', `instagram/${igId}/messages`)).data,
    pageSubscription: (pageId) => request('GET', `pages/${pageId}/subscription`),
    dropPageSubscription: async (pageId) => void (await request('DELETE', `pages/${pageId}/subscription`)),
    stats: () => request('GET', 'stats'),
    resetStats: async () => void (await request('POST', 'stats/reset', {})),
    setLatency: (latency) => request('PUT', 'latency', latency),
    setApp: (settings) => request('PUT', 'app', settings),
    createLoginConfig: (input) => request('POST', 'login-configs', input),
    createSystemUser: (input) => request('POST', 'system-users', input),
    systemUserEvent: async (id, type) => void (await request('POST', `system-users/${id}/events`, { type })),
    setPerson: (pageId, psid, profile) => request('PUT', `pages/${pageId}/people/${psid}`, profile),
    messengerProfile: (pageId) => request('GET', `pages/${pageId}/messenger-profile`),
    attachments: async (pageId) => (await request<{ attachments: Awaited<ReturnType<EmulatorControl['attachments']>> }>('GET', `pages/${pageId}/attachments`)).attachments,
  };
}
