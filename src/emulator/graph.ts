/**
 * The Graph API itself, independent of HTTP: one call in, one result out. The Fastify server
 * and the batch endpoint both go through `handle`, so a batch item behaves exactly like the
 * same request sent alone (and is counted the same way).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NOT_A_TESTER_MESSAGE, ROLE_NAMES } from './app-mode.js';
import { conversationNode, conversationsEdge, parseFields } from './conversations.js';
import { INSTAGRAM_RATE_MESSAGE, instagramFieldsOf, isInstagramRecipient, sendInstagram } from './instagram.js';
import type { Business } from './business.js';
import type { GraphErrorSpec, GraphResult } from './graph-error.js';
import { GraphError, MSG, errorResult, fail } from './graph-error.js';
import { messageId } from './ids.js';
import { createMessengerPlatform } from './messenger-platform.js';
import type { Limits } from './limits.js';
import { paginate } from './paging.js';
import type { EmulatorState, Page, TokenRecord, User } from './state.js';
import { subscribePage, type Subscriptions } from './subscriptions.js';
import { EMULATED_VERSIONS, NEWEST_VERSION, servedVersionAt } from './versions.js';
import { DATA_ACCESS_MS, LONG_LIVED_SECONDS } from './state.js';

/** Every version the emulator knows, oldest first (versions.ts says which are usable on a given day). */
export const SUPPORTED_VERSIONS = EMULATED_VERSIONS.map((v) => v.version).reverse();
export const DEFAULT_VERSION = NEWEST_VERSION;
export const MAX_BATCH = 50;
const DAY_MS = 86400_000;
const STATS_MAX_KEYS = 1000;
const CODE_LIFETIME_MS = 10 * 60_000;
/** Tags refused since 2026-04-27 (docs/graph-api.md "Messenger Send API"). */
const DEPRECATED_TAGS = new Set(['CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'POST_PURCHASE_UPDATE']);
/** Tags still accepted, with the window each allows after the person's last message. */
const TAG_WINDOWS: Record<string, number> = { HUMAN_AGENT: 7 * DAY_MS, CUSTOMER_FEEDBACK: 7 * DAY_MS };
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen']);
const MESSAGING_TYPES = new Set(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']);
const ATTACHMENT_TYPES = new Set(['image', 'audio', 'video', 'file', 'template']);
const DEFAULT_ACCOUNT_FIELDS = ['access_token', 'category', 'category_list', 'name', 'id', 'tasks'];

export interface GraphCall {
  method: string;
  /** Path without leading slash, version and query: "me/accounts". */
  path: string;
  version: string;
  params: Record<string, unknown>;
  authorization?: string | undefined;
  /** "http://host:port" the request came in on; used for absolute paging URLs. */
  origin: string;
}

export interface LoginCode {
  userId: string;
  redirectUri: string;
  expiresAtMs: number;
  used: boolean;
  /** The Login for Business configuration the dialog ran under (business.ts). */
  configId?: string | undefined;
}

type Auth = { kind: 'APP' } | { kind: 'USER'; record: TokenRecord; user: User } | { kind: 'PAGE'; record: TokenRecord; user: User; page: Page };

/** Maps any requested version to the one that serves it on `nowMs`: ended ones fall to the oldest usable (versions.ts). */
export function servedVersion(v: string | undefined, nowMs: number = Date.now()): string {
  return servedVersionAt(v, nowMs);
}

const VERSION_SEGMENT = /^\/(v\d+\.\d+)(?:[/?]|$)/;

/** The version that serves a raw request URL ("/v21.0/me?..."), for answers made outside `handle`. */
export function versionOfUrl(url: string, nowMs: number = Date.now()): string {
  const m = VERSION_SEGMENT.exec(url);
  return servedVersion(m?.[1], nowMs);
}

export function parseJsonParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('{') && !s.startsWith('[')) return v;
  try {
    return JSON.parse(s);
  } catch {
    return v;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fieldsOf = (params: Record<string, unknown>): string[] | undefined => {
  const f = str(params.fields);
  // Nested fields (`instagram_business_account{id,username}`) hold commas of their own.
  return f ? parseFields(f).map((x) => x.name) : undefined;
};

/** The Instagram account a send to an IGSID counts against; undefined for a Messenger send. */
function instagramSendKey(page: Page, params: Record<string, unknown>): string | undefined {
  if (!page.instagram) return undefined;
  const recipient = parseJsonParam(params.recipient);
  const id = isObj(recipient) ? str(recipient.id) : undefined;
  return id !== undefined && isInstagramRecipient(page, id) ? page.instagram.id : undefined;
}

/** What a fault does to one batch item: replace its result (as if the call answered so) or the whole item (`null` = not finished). */
export type BatchItemOverride = { result: GraphResult } | { item: Record<string, unknown> | null };

export function createGraph(deps: {
  state: EmulatorState;
  limits: Limits;
  now: () => number;
  requireProof: boolean;
  /** Business apps: Login for Business configurations and system users. */
  business?: Business;
  /** Path as the top-level fault matcher sees it: "/v25.0/me/accounts". */
  itemFault?: (path: string) => BatchItemOverride | undefined;
  /** App-level webhook subscriptions (`/{app-id}/subscriptions`). */
  subscriptions?: Subscriptions;
}) {
  const { state, limits, now } = deps;
  const stats = new Map<string, number>();
  let total = 0;
  const codes = new Map<string, LoginCode>();
  // User Profile, Messenger Profile and attachment upload (messenger-platform.ts).
  const platform = createMessengerPlatform(now);

  function count(key: string) {
    total++;
    const n = stats.get(key);
    if (n !== undefined) stats.set(key, n + 1);
    else stats.set(stats.size < STATS_MAX_KEYS ? key : 'OTHER', (stats.get('OTHER') ?? 0) + 1);
  }

  function placeholder(seg: string): string {
    if (!/^\d+$/.test(seg)) return seg;
    if (state.pages.has(seg)) return '{page-id}';
    if (state.users.has(seg)) return '{user-id}';
    if (state.businesses.has(seg)) return '{business-id}';
    if (seg === state.app.id) return '{app-id}';
    return '{id}';
  }

  function statsKey(method: string, segs: string[]): string {
    let key = `${method} /`;
    for (let i = 0; i < segs.length; i++) key += (i ? '/' : '') + placeholder(segs[i]!);
    return key;
  }

  function tokenOf(call: GraphCall): string | undefined {
    const p = call.params.access_token;
    if (typeof p === 'string' && p !== '') return p;
    const a = call.authorization;
    if (a) {
      const sp = a.indexOf(' ');
      const scheme = sp > 0 ? a.slice(0, sp).toLowerCase() : '';
      if (scheme === 'bearer' || scheme === 'oauth') return a.slice(sp + 1).trim();
    }
    return undefined;
  }

  /** The expected appsecret_proof of each token seen, kept while the app secret stays the same (one HMAC per token, not per call). */
  const proofs = new Map<string, Buffer>();
  let proofsSecret = state.app.secret;
  function proofOf(token: string): Buffer {
    if (proofsSecret !== state.app.secret || proofs.size >= 10_000) {
      proofs.clear();
      proofsSecret = state.app.secret;
    }
    let proof = proofs.get(token);
    if (proof === undefined) {
      proof = createHmac('sha256', state.app.secret).update(token).digest();
      proofs.set(token, proof);
    }
    return proof;
  }

  function checkProof(token: string, params: Record<string, unknown>) {
    const proof = params.appsecret_proof;
    if (proof === undefined || proof === '') {
      if (deps.requireProof) fail({ type: 'GraphMethodException', code: 100, message: MSG.proofMissing });
      return;
    }
    const expected = proofOf(token);
    const given = typeof proof === 'string' && /^[0-9a-f]{64}$/i.test(proof) ? Buffer.from(proof, 'hex') : undefined;
    if (!given || !timingSafeEqual(expected, given)) fail({ type: 'GraphMethodException', code: 100, message: MSG.proofWrong });
  }

  /** Resolves the caller's token, or throws the exact Graph error for it. */
  function authenticate(call: GraphCall, missing: GraphErrorSpec, allowApp: boolean): Auth {
    const token = tokenOf(call);
    if (!token) return fail(missing);
    if (state.isAppToken(token)) {
      if (!allowApp) fail({ code: 100, message: '(#100) An active access token must be used', type: 'OAuthException' });
      return { kind: 'APP' };
    }
    const check = state.checkToken(token);
    if (!check.ok) {
      if (check.record) checkProof(token, call.params);
      return fail(check.error);
    }
    checkProof(token, call.params);
    const record = check.record;
    const user = state.users.get(record.userId)!;
    if (record.type === 'PAGE') return { kind: 'PAGE', record, user, page: state.pages.get(record.pageId!)! };
    return { kind: 'USER', record, user };
  }

  function tokenInfo(record: TokenRecord): Record<string, unknown> {
    const user = state.users.get(record.userId);
    const data: Record<string, unknown> = { app_id: state.app.id, type: record.type, application: state.app.name };
    // A system user has no data-access window: Facebook's debug_token example for one says 0.
    data.data_access_expires_at = user?.systemUser ? 0 : Math.floor(((user?.lastActivityMs ?? record.issuedAtMs) + DATA_ACCESS_MS) / 1000);
    const check = state.checkToken(record.value);
    if (!check.ok) data.error = { code: check.error.code, message: check.error.message, subcode: check.error.subcode };
    data.expires_at = record.expiresAtMs === 0 ? 0 : Math.floor(record.expiresAtMs / 1000);
    data.is_valid = check.ok;
    if (record.type === 'USER' || record.type === 'SYSTEM_USER') data.issued_at = Math.floor(record.issuedAtMs / 1000);
    if (record.type === 'PAGE') data.profile_id = record.pageId;
    data.scopes = record.scopes;
    const limited = user?.grantedPageIds;
    data.granular_scopes = record.scopes.map((scope) => {
      const targets = record.type === 'PAGE' && scope.startsWith('pages_') ? [record.pageId!] : scope.startsWith('pages_') && limited ? limited : undefined;
      return targets ? { scope, target_ids: targets } : { scope };
    });
    data.user_id = record.userId;
    return data;
  }

  // ---- handlers -------------------------------------------------------------------------

  function oauthAccessToken(p: Record<string, unknown>) {
    const clientId = str(p.client_id);
    if (!clientId) fail({ code: 101, message: 'Missing client_id parameter.' });
    if (clientId !== state.app.id) fail({ code: 101, message: 'Invalid Client ID' });
    const grant = str(p.grant_type);
    if (str(p.client_secret) !== state.app.secret) fail({ code: 1, message: 'Error validating client secret.' });
    if (grant === 'client_credentials') return { access_token: state.app.clientToken, token_type: 'bearer' };
    if (grant === 'fb_exchange_token') {
      const token = str(p.fb_exchange_token);
      if (!token) return fail({ code: 1, message: 'fb_exchange_token parameter not specified' });
      const check = state.checkToken(token);
      if (!check.ok) return fail(check.error);
      if (check.record.type === 'SYSTEM_USER' && deps.business) return deps.business.exchangeSystemUserToken(check.record, p);
      if (check.record.type !== 'USER') return fail({ code: 100, message: '(#100) fb_exchange_token must be a user access token' });
      const user = state.users.get(check.record.userId)!;
      const rec = state.mintUserToken(user, { longLived: true, scopes: check.record.scopes });
      return { access_token: rec.value, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS };
    }
    if (grant !== undefined && grant !== 'authorization_code') return fail({ code: 100, message: `Unsupported grant_type: ${grant}` });
    const code = str(p.code);
    if (!code) return fail({ code: 1, message: 'Missing authorization code' });
    const entry = codes.get(code);
    if (!entry) return fail({ code: 100, message: 'Invalid verification code format.' });
    if (entry.used) return fail({ code: 100, subcode: 36009, message: 'This authorization code has been used.' });
    if (now() >= entry.expiresAtMs) return fail({ code: 100, subcode: 36007, message: 'This authorization code has expired.' });
    if (str(p.redirect_uri) !== entry.redirectUri) {
      return fail({
        code: 100,
        subcode: 36008,
        message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
      });
    }
    entry.used = true;
    const user = state.users.get(entry.userId)!;
    if (entry.configId !== undefined && deps.business) return deps.business.exchangeCodeForConfig(entry.configId, user);
    const rec = state.mintUserToken(user, { longLived: true });
    // Real code exchanges answer slightly under 60 days (docs/graph-api.md "Login: a short-lived user token").
    rec.expiresAtMs -= 56_000;
    return { access_token: rec.value, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS - 56 };
  }

  function debugToken(call: GraphCall) {
    const token = tokenOf(call);
    const needApp: GraphErrorSpec = { code: 100, message: MSG.needAppToken };
    if (!token) return fail(needApp);
    if (!state.isAppToken(token)) {
      const c = state.checkToken(token);
      if (!c.ok || c.record.type !== 'USER') return fail(needApp);
      checkProof(token, call.params);
    }
    const input = str(call.params.input_token);
    if (!input) return fail({ code: 100, message: '(#100) The parameter input_token is required' });
    if (state.isAppToken(input)) return { data: { app_id: state.app.id, type: 'APP', application: state.app.name, is_valid: true, scopes: [] } };
    const record = state.tokens.get(input);
    if (!record) return { data: { error: { code: 190, message: MSG.cannotParse }, is_valid: false, scopes: [] } };
    return { data: tokenInfo(record) };
  }

  function pick(obj: Record<string, () => unknown>, fields: string[], node: string, idLast = true): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const get = obj[f];
      if (!get) fail({ code: 100, message: MSG.nonexistingField(f, node) });
      const v = get!();
      if (v !== undefined) out[f] = v;
    }
    if (idLast && !('id' in out) && obj.id) out.id = obj.id();
    return out;
  }

  function pageNode(page: Page, auth: Auth, fields: string[]) {
    const tasks = auth.kind === 'USER' ? state.tasksOn(auth.user, page.id) : auth.kind === 'PAGE' ? auth.page.admins.get(auth.user.id) : undefined;
    return pick(
      {
        id: () => page.id,
        name: () => page.name,
        category: () => page.category,
        category_list: () => [{ id: '2500', name: page.category }],
        tasks: () => tasks,
        access_token: () => {
          if (auth.kind === 'PAGE') return auth.page.id === page.id ? auth.record.value : undefined;
          if (auth.kind === 'USER' && tasks) return state.pageTokenFor(auth.record, page.id).value;
          return undefined;
        },
        ...instagramFieldsOf(page, auth.kind === 'APP' ? [] : auth.record.scopes),
      },
      fields,
      'Page',
    );
  }

  function userNode(user: User, fields: string[]) {
    return pick({ id: () => user.id, name: () => user.name, first_name: () => user.name.split(' ')[0], last_name: () => user.name.split(' ').slice(1).join(' ') }, fields, 'User');
  }

  function requireUser(auth: Auth, edge: string): asserts auth is Extract<Auth, { kind: 'USER' }> {
    if (auth.kind === 'PAGE') fail({ code: 100, message: MSG.nonexistingField(edge, 'Page') });
    if (auth.kind === 'APP') fail({ code: 2500, message: MSG.activeTokenForMe });
  }

  function accounts(auth: Auth, call: GraphCall, base: string) {
    requireUser(auth, 'accounts');
    const user = auth.user;
    if (!auth.record.scopes.includes('pages_show_list')) return { data: [] };
    if (user.systemUser?.accounts === 'empty') return { data: [] };
    if (user.systemUser?.accounts === 'refused') return fail({ code: 100, message: MSG.nonexistingField('accounts', 'SystemUser') });
    const granted = user.grantedPageIds;
    const fields = fieldsOf(call.params) ?? DEFAULT_ACCOUNT_FIELDS;
    const ids = [...user.roles.keys()].filter((id) => !granted || granted.includes(id));
    const page = paginate(ids.map((id) => ({ id })), call.params, base);
    return { ...page, data: page.data.map(({ id }) => pageNode(state.pages.get(id)!, auth, fields)) };
  }

  function businessPages(auth: Auth, businessId: string, edge: 'owned_pages' | 'client_pages', call: GraphCall, base: string) {
    requireUser(auth, edge);
    const business = state.businesses.get(businessId)!;
    if (!auth.user.businessIds.includes(businessId)) return fail({ type: 'GraphMethodException', code: 100, subcode: 33, message: MSG.unsupported('get', businessId) });
    const fields = fieldsOf(call.params) ?? ['id', 'name'];
    const ids = edge === 'owned_pages' ? business.owned : business.client;
    const page = paginate(ids.map((id) => ({ id })), call.params, base);
    return { ...page, data: page.data.map(({ id }) => pageNode(state.pages.get(id)!, auth, fields)) };
  }

  function sendMessage(auth: Auth, page: Page, p: Record<string, unknown>): { recipient_id: string; message_id?: string } {
    if (auth.kind !== 'PAGE') return fail({ code: 210, message: MSG.pageTokenRequired });
    if (auth.page.id !== page.id) return fail({ type: 'GraphMethodException', code: 100, subcode: 33, message: MSG.unsupported('post', page.id) });
    if (!auth.record.scopes.includes('pages_messaging')) return fail({ code: 230, message: '(#230) Requires pages_messaging permission' });
    const recipient = parseJsonParam(p.recipient);
    const recipientId = isObj(recipient) ? str(recipient.id) : undefined;
    if (!recipientId) return fail({ code: 100, message: '(#100) param recipient must be non-empty.' });
    const messagingType = str(p.messaging_type) ?? 'RESPONSE';
    // An IGSID of the Page's linked Instagram account: Instagram's rules (instagram.ts).
    if (isInstagramRecipient(page, recipientId) && MESSAGING_TYPES.has(messagingType)) {
      return sendInstagram(state, now, { page, scopes: auth.record.scopes, recipientId, messagingType, tag: str(p.tag), message: parseJsonParam(p.message), senderAction: str(p.sender_action), payload: parseJsonParam(p.payload) });
    }
    if (!MESSAGING_TYPES.has(messagingType)) return fail({ code: 100, message: '(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}' });
    const message = parseJsonParam(p.message);
    const senderAction = str(p.sender_action);
    // Recorded Send API answers (a public Messenger client's fixtures): 100/2018015 for neither; "Cannot send both
    // message and state at the same time." is listed at https://developers.facebook.com/docs/messenger-platform/reference/send-api/error-codes.
    if (message === undefined && senderAction === undefined) return fail({ code: 100, subcode: 2018015, message: '(#100) Must send either message or state' });
    if (message !== undefined && senderAction !== undefined) return fail({ code: 100, message: '(#100) Cannot send both message and state at the same time.' });
    if (senderAction !== undefined && !SENDER_ACTIONS.has(senderAction)) {
      return fail({ code: 100, message: '(#100) Param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF}' });
    }
    if (message !== undefined) validateMessage(message);
    if (message !== undefined) platform.checkAttachmentId(page.id, message);
    const tag = str(p.tag);
    let windowMs = DAY_MS;
    if (messagingType === 'MESSAGE_TAG') {
      if (!tag) return fail({ code: 100, message: '(#100) Param tag must be non-empty when messaging_type is MESSAGE_TAG' });
      if (DEPRECATED_TAGS.has(tag)) return fail({ code: 100, message: `(#100) The tag ${tag} is no longer supported. Use the messaging types RESPONSE or UPDATE within the 24 hour window.` });
      const w = TAG_WINDOWS[tag];
      if (w === undefined) return fail({ code: 100, message: `(#100) Param tag must be one of {${Object.keys(TAG_WINDOWS).join(', ')}}` });
      windowMs = w;
    }
    const person = page.psids.get(recipientId);
    if (!person) return fail({ code: 100, subcode: 2018001, message: MSG.noMatchingUser });
    // The person blocked the Page or cannot be reached (POST /_emulator/pages/{id}/conversations/{psid}).
    if (person.available === false) return fail({ code: 551, subcode: 1545041, message: MSG.personUnavailable });
    // An app in development mode reaches only people with a role on it (app-mode.ts).
    if (!state.appMode.mayMessage(recipientId)) return fail({ code: 10, message: NOT_A_TESTER_MESSAGE });
    const t = now();
    if (t - person.lastInboundMs > windowMs) return fail({ code: 10, subcode: 2018278, message: MSG.outsideWindow });
    if (senderAction !== undefined) {
      state.recordSent(page, { messageId: '', recipientId, messagingType, tag: tag ?? null, message: null, senderAction, at: new Date(t).toISOString() });
      return { recipient_id: recipientId };
    }
    const mid = messageId();
    state.recordSent(page, { messageId: mid, recipientId, messagingType, tag: tag ?? null, message, at: new Date(t).toISOString() });
    state.conversations.recordSent(page.id, recipientId, mid, isObj(message) && typeof message.text === 'string' ? message.text : null, t);
    return { recipient_id: recipientId, message_id: mid };
  }

  function validateMessage(message: unknown) {
    if (!isObj(message)) return fail({ code: 100, message: '(#100) param message must be a JSON object' });
    const { text, attachment, quick_replies: qr } = message;
    // Texts below marked "recorded" come from a public Messenger client's fixtures of real Send API answers.
    if (text === undefined && attachment === undefined) {
      return fail({ code: 100, subcode: 2018034, message: '(#100) Message cannot be empty, must provide valid attachment or text' }); // recorded
    }
    if (text !== undefined) {
      if (typeof text !== 'string' || text === '') return fail({ code: 100, message: '(#100) param message[text] must be a non-empty UTF-8 encoded string' });
      if (text.length > 2000) return fail({ code: 100, message: '(#100) Length of param message[text] must be less than or equal to 2000' });
    }
    if (attachment !== undefined) {
      if (!isObj(attachment) || attachment.type === undefined) return fail({ code: 100, message: '(#100) The parameter message[attachment][type] is required' }); // recorded
      if (typeof attachment.type !== 'string' || !ATTACHMENT_TYPES.has(attachment.type)) {
        return fail({ code: 100, message: '(#100) Param message[attachment][type] must be one of {IMAGE, AUDIO, VIDEO, FILE, TEMPLATE}' });
      }
      if (attachment.payload === undefined) return fail({ code: 100, message: '(#100) The parameter message[attachment][payload] is required' }); // recorded
      if (!isObj(attachment.payload)) return fail({ code: 100, message: '(#100) param message[attachment][payload] must be non-empty.' });
    }
    if (qr !== undefined) {
      if (Array.isArray(qr) && qr.length === 0) return fail({ code: 194, message: '(#194) param message[quick_replies] has too few elements.' }); // recorded
      if (!Array.isArray(qr) || qr.length > 13) return fail({ code: 100, message: '(#100) param message[quick_replies] must be an array of at most 13 elements' });
      for (const [i, q] of qr.entries()) {
        if (!isObj(q) || q.content_type === undefined) return fail({ code: 100, message: `(#100) The parameter message[quick_replies][${i}][content_type] is required` }); // recorded
        if (!['text', 'user_phone_number', 'user_email'].includes(String(q.content_type))) {
          return fail({ code: 100, message: `(#100) Param message[quick_replies][${i}][content_type] must be one of {TEXT, USER_PHONE_NUMBER, USER_EMAIL}` });
        }
        if (q.content_type === 'text' && (typeof q.title !== 'string' || q.title === '')) {
          return fail({ code: 100, subcode: 2018098, message: '(#100) Title is required for this quick reply content type' }); // recorded
        }
        if (q.content_type === 'text' && (q.payload === undefined || q.payload === '')) {
          return fail({ code: 100, subcode: 2018099, message: '(#100) Payload is required for this quick reply content type' }); // recorded
        }
      }
    }
    return undefined;
  }

  // ---- dispatch -------------------------------------------------------------------------

  function route(call: GraphCall, segs: string[], key: string): { body: unknown; headers?: Record<string, string> } {
    const m = call.method;
    const p = call.params;
    const first = segs[0] ?? '';
    if (segs.length === 2 && first === 'oauth' && segs[1] === 'access_token') return { body: oauthAccessToken(p) };
    if (segs.length === 1 && first === 'debug_token') return { body: debugToken(call) };
    if (first === '') return fail({ code: 100, message: '(#100) Missing batch parameter' });

    const isMe = first === 'me';
    const isNumeric = /^\d+$/.test(first);
    const isThread = /^t_\w+$/.test(first) && segs.length === 1 && m === 'GET';
    if (!isMe && !isNumeric && !isThread) return fail({ code: 2500, message: MSG.unknownPath((segs.length > 1 ? segs.slice(1) : segs).join('/')) });
    if (segs.length > 3) return fail({ code: 2500, message: MSG.unknownPath(segs.slice(2).join('/')) });

    const isSend = segs[1] === 'messages' && m === 'POST';
    const auth = authenticate(call, isMe ? { code: 2500, message: MSG.activeTokenForMe } : { code: 104, message: MSG.tokenRequired }, true);
    if (isMe && auth.kind === 'APP') fail({ code: 2500, message: MSG.activeTokenForMe });

    // Usage: page tokens fall under Business Use Case limits, everything else under the app's.
    let usage: Record<string, string>;
    if (auth.kind === 'PAGE') {
      // Instagram sends count against the Instagram account's budget, apart from the Page's Messenger sends.
      const igKey = isSend ? instagramSendKey(auth.page, call.params) : undefined;
      const d = isSend ? limits.send(igKey ?? auth.page.id) : limits.pageCall(auth.page.id);
      // Instagram's business-use-case limit answers code 80002 (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
      if (d.error && igKey !== undefined) throw new UsageError({ code: 80002, message: INSTAGRAM_RATE_MESSAGE, isTransient: true }, d.headers);
      if (d.error) throw new UsageError(d.error, d.headers);
      usage = d.headers;
    } else {
      const d = limits.appCall();
      if (d.error) throw new UsageError(d.error, d.headers);
      usage = d.headers;
    }
    void key;
    if (isThread) return { body: conversationNode(state.conversations, { threadId: first, tokenPage: auth.kind === 'PAGE' ? auth.page : undefined, params: p }), headers: usage };
    const base = `${call.origin}/${call.version}/${segs.join('/')}`;
    const edge = segs[1];
    const ok = (body: unknown) => ({ body, headers: usage });

    // Resolve the node.
    let node: { kind: 'user'; user: User } | { kind: 'page'; page: Page } | { kind: 'business'; id: string } | { kind: 'app' };
    if (isMe) node = auth.kind === 'PAGE' ? { kind: 'page', page: auth.page } : { kind: 'user', user: (auth as Extract<Auth, { kind: 'USER' }>).user };
    else if (state.pages.has(first)) node = { kind: 'page', page: state.pages.get(first)! };
    else if (state.users.has(first)) node = { kind: 'user', user: state.users.get(first)! };
    else if (state.businesses.has(first)) node = { kind: 'business', id: first };
    else if (first === state.app.id) node = { kind: 'app' };
    // A PSID, read with the token of a Page the person wrote to: the User Profile API (messenger-platform.ts).
    else if (auth.kind === 'PAGE' && segs.length === 1 && m === 'GET' && auth.page.psids.has(first)) return ok(platform.userProfile(auth.page, auth.record.scopes, first, p));
    else return fail({ type: 'GraphMethodException', code: 100, subcode: 33, message: MSG.unsupported(m === 'GET' ? 'get' : m === 'DELETE' ? 'delete' : 'post', first) });

    const unsupported = () => fail({ type: 'GraphMethodException', code: 100, subcode: 33, message: MSG.unsupported(m.toLowerCase(), first) });
    const nodeType = node.kind === 'page' ? 'Page' : node.kind === 'user' ? 'User' : node.kind === 'business' ? 'Business' : 'Application';

    if (edge === undefined) {
      if (m !== 'GET') return unsupported();
      const fields = fieldsOf(p) ?? ['name', 'id'];
      if (node.kind === 'page') return ok(pageNode(node.page, auth, fields));
      if (node.kind === 'user') {
        if (auth.kind !== 'USER' || auth.user.id !== node.user.id) {
          if (!isMe) return unsupported();
        }
        return ok(userNode(node.user, fields));
      }
      if (node.kind === 'business') return ok({ name: state.businesses.get(first)!.name, id: first });
      return ok({ name: state.app.name, id: state.app.id });
    }

    if (node.kind === 'user') {
      const own = auth.kind === 'USER' && auth.user.id === node.user.id;
      if (!own) return unsupported();
      if (edge === 'accounts' && m === 'GET' && segs.length === 2) return ok(accounts(auth, call, base));
      if (edge === 'businesses' && m === 'GET' && segs.length === 2) {
        requireUser(auth, 'businesses');
        if (!auth.record.scopes.includes('business_management')) return fail({ code: 200, message: '(#200) Requires business_management permission to manage the object' });
        const list = node.user.businessIds.map((id) => ({ id, name: state.businesses.get(id)!.name }));
        return ok(paginate(list, p, base));
      }
      if (edge === 'permissions') {
        requireUser(auth, 'permissions');
        if (m === 'GET' && segs.length === 2) return ok({ data: auth.record.scopes.map((permission) => ({ permission, status: 'granted' })) });
        if (m === 'DELETE' && segs.length === 2) {
          // The person removes the app: every token of theirs now fails with 190/458.
          state.applyEvent(node.user, 'app_removed');
          return ok({ success: true });
        }
        if (m === 'DELETE' && segs.length === 3) {
          const perm = segs[2]!;
          node.user.scopes = node.user.scopes.filter((s) => s !== perm);
          for (const v of node.user.tokens) {
            const rec = state.tokens.get(v);
            if (rec) rec.scopes = rec.scopes.filter((s) => s !== perm);
          }
          return ok({ success: true });
        }
      }
      if (segs.length === 2 && !['accounts', 'businesses', 'permissions', 'messages'].includes(edge)) return fail({ code: 100, message: MSG.nonexistingField(edge, nodeType) });
      return fail({ code: 2500, message: MSG.unknownPath(segs.slice(1).join('/')) });
    }
    if (node.kind === 'page') {
      if (edge === 'messages' && m === 'POST' && segs.length === 2) return ok(sendMessage(auth, node.page, p));
      if (edge === 'conversations' && m === 'GET' && segs.length === 2) {
        const pageToken = auth.kind === 'PAGE' && auth.page.id === node.page.id;
        return ok(conversationsEdge(state.conversations, { page: node.page, instagram: node.page.instagram, pageToken, scopes: auth.kind === 'APP' ? [] : auth.record.scopes, params: p, base }));
      }
      if ((edge === 'messenger_profile' || edge === 'message_attachments') && segs.length === 2) {
        if (auth.kind !== 'PAGE') return fail({ code: 210, message: MSG.pageTokenRequired });
        if (auth.page.id !== node.page.id) return unsupported();
        if (edge === 'messenger_profile' && (m === 'GET' || m === 'POST' || m === 'DELETE')) return ok(platform.messengerProfile(m, node.page, auth.record.scopes, p));
        if (edge === 'message_attachments' && m === 'POST') return ok(platform.uploadAttachment(node.page, auth.record.scopes, p));
      }
      if (edge === 'subscribed_apps' && segs.length === 2) {
        // https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/ (docs/graph-api.md "Page webhook subscriptions").
        if (auth.kind !== 'PAGE' || auth.page.id !== node.page.id) return fail({ code: 210, message: MSG.pageTokenRequired });
        const needMetadata = () => fail({ code: 200, message: '(#200) Requires pages_manage_metadata permission to manage the object' });
        if (m === 'GET') {
          if (!auth.record.scopes.includes('pages_manage_metadata')) return needMetadata();
          const f = node.page.subscribedFields;
          return ok({ data: f ? [{ category: 'Business', link: `https://apps.example.invalid/${state.app.id}`, name: state.app.name, id: state.app.id, subscribed_fields: f }] : [] });
        }
        if (m === 'POST') {
          const r = subscribePage(node.page, auth.record.scopes, node.page.admins.get(auth.user.id), p);
          return 'code' in r ? fail(r) : ok(r);
        }
        if (m === 'DELETE') {
          if (!auth.record.scopes.includes('pages_manage_metadata')) return needMetadata();
          node.page.subscribedFields = null;
          return ok({ success: true, messaging_success: true });
        }
      }
      if (segs.length === 2 && m === 'GET') return fail({ code: 100, message: MSG.nonexistingField(edge, nodeType) });
      return unsupported();
    }
    if (node.kind === 'app' && edge === 'subscriptions' && segs.length === 2 && deps.subscriptions) {
      // https://developers.facebook.com/docs/graph-api/reference/application/subscriptions/; the POST's
      // verification request is made by the server before it gets here (server.ts).
      if (auth.kind !== 'APP') return fail({ code: 15, message: '(#15) This method must be called with an app access_token.' });
      const subs = deps.subscriptions;
      if (m === 'GET') return ok(subs.list(call.version));
      if (m === 'POST') {
        const checked = subs.checkPost(p);
        if ('code' in checked) return fail(checked);
        subs.set(checked);
        return ok({ success: true });
      }
      if (m === 'DELETE') {
        const problem = subs.remove(p);
        return problem ? fail(problem) : ok({ success: true });
      }
    }
    if (node.kind === 'app' && edge === 'roles' && segs.length === 2 && m === 'GET') {
      // Who can use the app while it is in development mode (app-mode.ts).
      if (auth.kind !== 'APP') return fail({ code: 15, message: '(#15) This method must be called with an app access_token.' });
      const list = state.appMode.roles().map((r) => ({ app_id: state.app.id, user: r.personId, role: ROLE_NAMES[r.role] }));
      return ok({ data: list });
    }
    if (node.kind === 'business' && (edge === 'owned_pages' || edge === 'client_pages') && m === 'GET' && segs.length === 2) {
      return ok(businessPages(auth, first, edge, call, base));
    }
    if (segs.length === 2 && m === 'GET') return fail({ code: 100, message: MSG.nonexistingField(edge, nodeType) });
    return unsupported();
  }

  class UsageError extends GraphError {
    constructor(
      spec: GraphErrorSpec,
      readonly headers: Record<string, string>,
    ) {
      super(spec);
    }
  }

  function handle(call: GraphCall): GraphResult {
    const segs = call.path === '' ? [] : call.path.split('/').filter((s) => s !== '');
    const key = statsKey(call.method, segs);
    count(key);
    // A batch may be POSTed to any node path (Meta's own example is `POST /me?batch=...`); its items resolve from the root either way.
    if (call.method === 'POST' && (segs.length === 0 || call.params.batch !== undefined)) return batch(call);
    try {
      const r = route(call, segs, key);
      return { status: 200, body: r.body, headers: r.headers ?? {} };
    } catch (e) {
      if (e instanceof GraphError) {
        const res = errorResult(e.spec);
        if (e instanceof UsageError) Object.assign(res.headers, e.headers);
        return res;
      }
      throw e;
    }
  }

  /** POST /{v}/ with `batch`: each item runs through `handle` as if sent alone (docs/graph-api.md "Batch requests"). */
  function batch(call: GraphCall): GraphResult {
    const raw = parseJsonParam(call.params.batch);
    if (raw === undefined) return errorResult({ code: 100, message: '(#100) The parameter batch is required' });
    if (!Array.isArray(raw)) return errorResult({ code: 100, message: '(#100) The parameter batch must be a JSON array' });
    if (raw.length > MAX_BATCH) return errorResult({ type: 'GraphBatchException', code: 1, message: MSG.batchTooBig });
    const topToken = tokenOf(call);
    if (!topToken && !raw.every((i) => isObj(i) && typeof i.relative_url === 'string' && /[?&]access_token=/.test(i.relative_url))) {
      return errorResult({ code: 104, message: MSG.tokenRequired });
    }
    const includeHeaders = String(call.params.include_headers ?? 'true') !== 'false';
    const out = raw.map((item) => {
      if (!isObj(item) || typeof item.relative_url !== 'string') {
        const e = errorResult({ code: 100, message: '(#100) Each batch item must have a relative_url' });
        return { code: 400, body: JSON.stringify(e.body) };
      }
      const url = new URL(item.relative_url.replace(/^\/+/, ''), 'http://batch.invalid/');
      let segs = url.pathname.slice(1);
      let version = call.version;
      const vm = /^(v\d+\.\d+)(?:\/|$)/.exec(segs);
      if (vm) {
        version = servedVersion(vm[1], now());
        segs = segs.slice(vm[0].length);
      }
      const params: Record<string, unknown> = {};
      if (topToken) params.access_token = topToken;
      if (call.params.appsecret_proof !== undefined) params.appsecret_proof = call.params.appsecret_proof;
      for (const [k, v] of url.searchParams) params[k] = v;
      if (typeof item.body === 'string') for (const [k, v] of new URLSearchParams(item.body)) params[k] = v;
      else if (isObj(item.body)) Object.assign(params, item.body);
      // An item-level token replaces the top-level one; its proof then belongs to it.
      if (params.access_token !== topToken && params.appsecret_proof === call.params.appsecret_proof && url.searchParams.get('appsecret_proof') === null) {
        delete params.appsecret_proof;
      }
      // `attached_files` names multipart parts of the batch POST that this item uploads (docs/emulator.md "Multipart bodies").
      if (typeof item.attached_files === 'string') {
        for (const name of item.attached_files.split(',').map((n) => n.trim())) if (call.params[name] !== undefined) params[name] = call.params[name];
      }
      if (params.batch !== undefined) return { code: 400, body: JSON.stringify(errorResult({ code: 100, message: '(#100) A batch item cannot itself be a batch' }).body) };
      const method = typeof item.method === 'string' ? item.method.toUpperCase() : 'GET';
      const override = deps.itemFault?.(`/${version}/${segs}`);
      if (override && 'item' in override) return override.item;
      const r = override ? override.result : handle({ method, path: segs.replace(/\/+$/, ''), version, params, origin: call.origin, authorization: undefined });
      const entry: Record<string, unknown> = { code: r.status };
      if (includeHeaders) {
        entry.headers = [
          { name: 'Facebook-API-Version', value: version },
          { name: 'Content-Type', value: 'text/javascript; charset=UTF-8' },
          ...Object.entries(r.headers).map(([name, value]) => ({ name: headerName(name), value })),
        ];
      }
      entry.body = JSON.stringify(r.body);
      return entry;
    });
    return { status: 200, body: out, headers: {} };
  }

  function createLoginCode(userId: string, redirectUri: string, configId?: string): string {
    const code = `AQ${Buffer.from(messageId()).toString('base64url').slice(0, 300)}`;
    codes.set(code, { userId, redirectUri, expiresAtMs: now() + CODE_LIFETIME_MS, used: false, configId });
    return code;
  }

  return {
    handle,
    createLoginCode,
    platform,
    tokenInfo,
    stats: () => ({ calls: Object.fromEntries(stats), total }),
    resetStats() {
      stats.clear();
      total = 0;
    },
  };
}

function headerName(h: string): string {
  if (h === 'www-authenticate') return 'WWW-Authenticate';
  return h.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
}

export type Graph = ReturnType<typeof createGraph>;
