/**
 * The emulator's world: one app, its users, pages, businesses and every token issued, all
 * in Maps keyed by id or token string so each request does O(1) work. Built by a factory;
 * nothing lives at module level, so several emulators can run in one process.
 */
import { accessToken, appSecret as newSecret, numericId } from './ids.js';
import { createAppModeState } from './app-mode.js';
import { createConversationStore } from './conversations.js';
import type { GraphErrorSpec } from './graph-error.js';
import { MSG, expiredMessage } from './graph-error.js';
import { DEFAULT_PAGE_SUBSCRIBED_FIELDS } from './subscriptions.js';

export const ALL_TASKS = ['ANALYZE', 'ADVERTISE', 'MESSAGING', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'] as const;
export const DEFAULT_SCOPES = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'pages_read_engagement', 'business_management'];
export const SHORT_LIVED_MS = 3600_000;
export const LONG_LIVED_SECONDS = 5_184_000;
export const DATA_ACCESS_MS = 90 * 86400_000;
export const SENT_MESSAGES_KEPT = 10_000;

/** `SYSTEM_USER`: a system user's token (src/emulator/business.ts). */
export type TokenKind = 'USER' | 'PAGE' | 'SYSTEM_USER';

export interface TokenRecord {
  value: string;
  type: TokenKind;
  userId: string;
  pageId?: string;
  scopes: string[];
  issuedAtMs: number;
  /** 0 = never expires. */
  expiresAtMs: number;
  longLived: boolean;
  invalid?: { subcode: number; message: string };
  /** USER tokens: the page token handed out per page, so repeated /me/accounts calls do not grow memory. */
  pageTokens?: Map<string, string>;
}

export interface SentMessage {
  messageId: string;
  recipientId: string;
  messagingType: string | null;
  tag: string | null;
  message: unknown;
  senderAction?: string;
  at: string;
}

export interface Page {
  id: string;
  name: string;
  category: string;
  admins: Map<string, string[]>;
  /** People who messaged the page; `available: false` = blocked the Page / unreachable (Send API 551). */
  psids: Map<string, { lastInboundMs: number; available?: boolean }>;
  /** Ring buffer of the last SENT_MESSAGES_KEPT messages. */
  sent: SentMessage[];
  sentNext: number;
  /** The app's subscription to this Page's webhooks (`/{page-id}/subscribed_apps`); null = not subscribed. */
  subscribedFields: string[] | null;
  /** The Instagram professional account linked to the Page, if any (instagram.ts). */
  instagram?: InstagramAccount;
}

/**
 * An Instagram professional account linked to a Page. `link: 'business'` = linked during the
 * business conversion (both `instagram_business_account` and `connected_instagram_account` show
 * it); `'connected'` = connected in the Page's settings (only `connected_instagram_account`).
 */
export interface InstagramAccount {
  id: string;
  username: string;
  link: 'business' | 'connected';
  /** People (by IGSID) who wrote to the account. */
  people: Map<string, { lastInboundMs: number }>;
  sent: SentMessage[];
}

export interface User {
  id: string;
  name: string;
  scopes: string[];
  /** Pages the person manages directly (listed by /me/accounts). */
  roles: Map<string, string[]>;
  /** Pages reachable only through a business (not in /me/accounts). */
  businessRoles: Map<string, string[]>;
  businessIds: string[];
  /** Page ids the Login dialog limited the grant to; null = not limited. */
  grantedPageIds: string[] | null;
  lastActivityMs: number;
  tokens: Set<string>;
  /** Set for a business's system user (src/emulator/business.ts): no login, no data-access end. */
  systemUser?: { expiresInDays: number | null; accounts: 'listed' | 'empty' | 'refused' };
}

export interface Business {
  id: string;
  name: string;
  owned: string[];
  client: string[];
}

export interface App {
  id: string;
  secret: string;
  name: string;
  /** What client_credentials hands out besides the documented APP_ID|APP_SECRET form. */
  clientToken: string;
  /** App type: a Business app's Login dialog needs `config_id` (PUT /_emulator/app). */
  type: 'consumer' | 'business';
}

export interface PageSpec {
  id?: string;
  name?: string;
  tasks?: string[];
  category?: string;
  instagram?: { username: string; id?: string; link?: 'business' | 'connected' };
  /** false: the Page starts without the app subscribed to it; otherwise it is subscribed as if done before. */
  subscribed?: boolean;
}

export interface UserSpec {
  id?: string;
  name: string;
  scopes?: string[];
  pages?: PageSpec[];
  businessPages?: (PageSpec & { relation?: 'owned' | 'client' })[];
}

export interface SeedSpec {
  app?: { id?: string; secret?: string; name?: string };
  users?: UserSpec[];
}

export const DEFAULT_SEED: SeedSpec = {
  app: { name: 'Pagekeeper Emulated App' },
  users: [
    {
      name: 'Alex Emulated',
      pages: [{ name: 'Corner Bakery' }, { name: 'Harbour Books' }, { name: 'Night Owl Radio' }],
    },
  ],
};

export type TokenCheck = { ok: true; record: TokenRecord } | { ok: false; error: GraphErrorSpec; record?: TokenRecord };

export type EventType = 'password_changed' | 'app_removed' | 'logged_out' | 'checkpoint' | 'page_role_removed';

export function createState(now: () => number) {
  const ids = new Set<string>();
  const newId = () => {
    let id = numericId();
    while (ids.has(id)) id = numericId();
    ids.add(id);
    return id;
  };
  const app: App = { id: '', secret: '', name: '', clientToken: '', type: 'consumer' };
  const users = new Map<string, User>();
  const pages = new Map<string, Page>();
  const businesses = new Map<string, Business>();
  const tokens = new Map<string, TokenRecord>();
  const userOrder: string[] = [];
  /** Instagram account id -> the Page it is linked to. */
  const instagramAccounts = new Map<string, string>();
  /** Development or live, and who has a role on the app (app-mode.ts). */
  const appMode = createAppModeState();
  /** Every Page's Messenger threads, for the Conversations API (conversations.ts). */
  const conversations = createConversationStore(now);

  function ensurePage(spec: PageSpec): Page {
    if (spec.id && pages.has(spec.id)) {
      const known = pages.get(spec.id)!;
      if (spec.instagram && !known.instagram) linkInstagram(known, spec.instagram);
      return known;
    }
    const id = spec.id ?? newId();
    ids.add(id);
    const page: Page = {
      id,
      name: spec.name ?? `Page ${id}`,
      category: spec.category ?? 'Local business',
      admins: new Map(),
      psids: new Map(),
      sent: [],
      sentNext: 0,
      // As if subscribed before the emulator started, so a Page made for a test receives its
      // Messenger events; `subscribed: false` starts it unsubscribed (docs/emulator.md).
      subscribedFields: spec.subscribed === false ? null : [...DEFAULT_PAGE_SUBSCRIBED_FIELDS],
    };
    pages.set(id, page);
    if (spec.instagram) linkInstagram(page, spec.instagram);
    return page;
  }

  function linkInstagram(page: Page, spec: NonNullable<PageSpec['instagram']>): InstagramAccount {
    const id = spec.id ?? `1784${newId().slice(0, 13)}`;
    ids.add(id);
    const account: InstagramAccount = { id, username: spec.username, link: spec.link ?? 'business', people: new Map(), sent: [] };
    page.instagram = account;
    instagramAccounts.set(id, page.id);
    return account;
  }

  function mintUserToken(user: User, opts: { longLived: boolean; scopes?: string[] }): TokenRecord {
    const t = now();
    const record: TokenRecord = {
      value: accessToken(),
      type: 'USER',
      userId: user.id,
      scopes: opts.scopes ?? user.scopes,
      issuedAtMs: t,
      expiresAtMs: t + (opts.longLived ? LONG_LIVED_SECONDS * 1000 : SHORT_LIVED_MS),
      longLived: opts.longLived,
      pageTokens: new Map(),
    };
    tokens.set(record.value, record);
    user.tokens.add(record.value);
    return record;
  }

  /** Logging in: a fresh short-lived token counts as activity for data_access_expires_at. */
  function login(user: User, scopes?: string[]): TokenRecord {
    user.lastActivityMs = now();
    if (scopes) user.scopes = [...new Set([...user.scopes, ...scopes])];
    return mintUserToken(user, { longLived: false, scopes: scopes ?? user.scopes });
  }

  function tasksOn(user: User, pageId: string): string[] | undefined {
    return user.roles.get(pageId) ?? user.businessRoles.get(pageId);
  }

  /** The page token this user token yields for a page (same one on every call). */
  function pageTokenFor(parent: TokenRecord, pageId: string): TokenRecord {
    const existing = parent.pageTokens?.get(pageId);
    const rec = existing ? tokens.get(existing) : undefined;
    if (rec && !rec.invalid) return rec;
    const record: TokenRecord = {
      value: accessToken(),
      type: 'PAGE',
      userId: parent.userId,
      pageId,
      scopes: parent.scopes,
      issuedAtMs: now(),
      // From a long-lived user token a page token never expires; from a short-lived one it ends with it.
      // A system user's page token ends when the system user's token does (0: never).
      expiresAtMs: parent.type === 'SYSTEM_USER' ? parent.expiresAtMs : parent.longLived ? 0 : parent.expiresAtMs,
      longLived: parent.longLived,
    };
    tokens.set(record.value, record);
    parent.pageTokens?.set(pageId, record.value);
    users.get(parent.userId)?.tokens.add(record.value);
    return record;
  }

  function addUser(spec: UserSpec): { user: User; token: TokenRecord } {
    const id = spec.id ?? newId();
    ids.add(id);
    const user: User = {
      id,
      name: spec.name,
      scopes: spec.scopes ?? [...DEFAULT_SCOPES],
      roles: new Map(),
      businessRoles: new Map(),
      businessIds: [],
      grantedPageIds: null,
      lastActivityMs: now(),
      tokens: new Set(),
    };
    users.set(id, user);
    userOrder.push(id);
    for (const p of spec.pages ?? []) {
      const page = ensurePage(p);
      const tasks = p.tasks ?? [...ALL_TASKS];
      page.admins.set(id, tasks);
      user.roles.set(page.id, tasks);
    }
    if (spec.businessPages?.length) {
      const business: Business = { id: newId(), name: `${spec.name}'s Business`, owned: [], client: [] };
      businesses.set(business.id, business);
      user.businessIds.push(business.id);
      for (const p of spec.businessPages) {
        const page = ensurePage(p);
        const tasks = p.tasks ?? [...ALL_TASKS];
        page.admins.set(id, tasks);
        user.businessRoles.set(page.id, tasks);
        (p.relation === 'client' ? business.client : business.owned).push(page.id);
      }
    }
    return { user, token: login(user) };
  }

  function seed(spec: SeedSpec) {
    app.id = spec.app?.id ?? newId();
    app.secret = spec.app?.secret ?? newSecret();
    app.name = spec.app?.name ?? 'Pagekeeper Emulated App';
    app.clientToken = `${app.id}|${accessToken().slice(3, 30)}`;
    ids.add(app.id);
    return (spec.users ?? []).map((u) => addUser(u));
  }

  function isAppToken(value: string): boolean {
    return value === `${app.id}|${app.secret}` || value === app.clientToken;
  }

  /** Is this user/page token usable right now? Gives the exact Graph error when not. */
  function checkToken(value: string): TokenCheck {
    const record = tokens.get(value);
    if (!record) return { ok: false, error: { code: 190, message: MSG.cannotParse } };
    if (record.invalid) return { ok: false, record, error: { code: 190, subcode: record.invalid.subcode, message: record.invalid.message } };
    const t = now();
    if (record.expiresAtMs !== 0 && t >= record.expiresAtMs) {
      return { ok: false, record, error: { code: 190, subcode: 463, message: expiredMessage(record.expiresAtMs, t) } };
    }
    return { ok: true, record };
  }

  function invalidate(record: TokenRecord, subcode: number, message: string) {
    if (!record.invalid) record.invalid = { subcode, message };
  }

  /** Invalidates exactly what Facebook would for the event (docs/graph-api.md "Error object"). */
  function applyEvent(user: User, type: EventType, pageId?: string) {
    const byType: Record<Exclude<EventType, 'page_role_removed'>, [number, string]> = {
      password_changed: [460, MSG.passwordChanged],
      app_removed: [458, MSG.appRemoved(app.id)],
      logged_out: [467, MSG.loggedOut],
      checkpoint: [459, MSG.checkpoint],
    };
    if (type === 'page_role_removed') {
      if (!pageId) throw new Error('pageId is required for page_role_removed');
      for (const v of user.tokens) {
        const rec = tokens.get(v);
        if (rec?.type === 'PAGE' && rec.pageId === pageId) invalidate(rec, 492, MSG.pageRoleRemoved);
      }
      user.roles.delete(pageId);
      user.businessRoles.delete(pageId);
      pages.get(pageId)?.admins.delete(user.id);
      return;
    }
    const [subcode, message] = byType[type];
    for (const v of user.tokens) {
      const rec = tokens.get(v);
      if (rec) invalidate(rec, subcode, message);
    }
    // Invalid tokens are never valid again: drop them from the per-user set so it stays small.
    user.tokens.clear();
  }

  function recordSent(page: Page, msg: SentMessage) {
    if (page.sent.length < SENT_MESSAGES_KEPT) page.sent.push(msg);
    else page.sent[page.sentNext] = msg;
    page.sentNext = (page.sentNext + 1) % SENT_MESSAGES_KEPT;
  }

  function sentInOrder(page: Page): SentMessage[] {
    if (page.sent.length < SENT_MESSAGES_KEPT) return page.sent;
    return [...page.sent.slice(page.sentNext), ...page.sent.slice(0, page.sentNext)];
  }

  return {
    app,
    users,
    pages,
    businesses,
    tokens,
    userOrder,
    instagramAccounts,
    linkInstagram,
    appMode,
    conversations,
    newId,
    seed,
    addUser,
    login,
    mintUserToken,
    pageTokenFor,
    tasksOn,
    isAppToken,
    checkToken,
    applyEvent,
    recordSent,
    sentInOrder,
  };
}

export type EmulatorState = ReturnType<typeof createState>;
