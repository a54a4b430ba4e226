/**
 * The Messenger Platform beyond the Send API, as Facebook answers it (docs/emulator.md
 * "User Profile, Messenger Profile and attachment upload"):
 * - User Profile API, `GET /{PSID}?fields=first_name,last_name,profile_pic,...` with the Page token
 *   (https://developers.facebook.com/docs/messenger-platform/identity/user-profile): only people who
 *   wrote to that Page; `locale`, `timezone` and `gender` only with `pages_user_locale`,
 *   `pages_user_timezone`, `pages_user_gender`;
 * - Messenger Profile API, `GET/POST/DELETE /me/messenger_profile`
 *   (https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api):
 *   get_started, greeting, persistent_menu, ice_breakers, whitelisted_domains, with Facebook's
 *   limits and its own rate limit (10 calls per 10 minutes per Page);
 * - Attachment Upload API, `POST /me/message_attachments`
 *   (https://developers.facebook.com/docs/messenger-platform/reference/attachment-upload-api):
 *   by URL or a multipart `filedata` file; the `attachment_id` it answers is accepted by the Send API.
 * Built by a factory per emulator; nothing at module level.
 */
import type { GraphErrorSpec } from './graph-error.js';
import { MSG, fail } from './graph-error.js';
import { numericId } from './ids.js';

/** https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/domain-whitelisting */
export const PROFILE_CALLS_PER_WINDOW = 10;
export const PROFILE_WINDOW_MS = 10 * 60_000;
export const MAX_GREETING_CHARACTERS = 160;
/** Since Graph v8.0 nested menus are gone and up to 20 buttons are allowed (persistent menu reference). */
export const MAX_MENU_ITEMS = 20;
export const MAX_MENU_TITLE_CHARACTERS = 30;
export const MAX_PAYLOAD_CHARACTERS = 1000;
export const MAX_ICE_BREAKERS = 4;
export const MAX_WHITELISTED_DOMAINS = 50;
/** Send API reference: 25 MB per attachment. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const PROFILE_PROPERTIES = ['get_started', 'greeting', 'persistent_menu', 'ice_breakers', 'whitelisted_domains', 'account_linking_url'] as const;
const PERSON_FIELDS = new Set(['id', 'name', 'first_name', 'last_name', 'profile_pic', 'locale', 'timezone', 'gender']);
/** Fields Facebook gives only with their own permission (User Profile API reference). */
const GATED_FIELDS: Record<string, string> = { locale: 'pages_user_locale', timezone: 'pages_user_timezone', gender: 'pages_user_gender' };
const UPLOAD_TYPES = new Set(['image', 'audio', 'video', 'file']);

export interface PersonProfile {
  first_name: string;
  last_name: string;
  profile_pic: string;
  locale: string;
  timezone: number;
  gender: string;
  /** false: Facebook has no profile for this person (100/2018218). */
  available?: boolean;
}

export interface UploadedFile {
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface StoredAttachment {
  id: string;
  pageId: string;
  type: string;
  url: string | null;
  file: { filename: string | null; contentType: string | null; bytes: number } | null;
  reusable: boolean;
  createdMs: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const chars = (s: string) => [...s].length;
const invalid = (message: string, subcode?: number): never => fail({ code: 100, message: `(#100) ${message}`, ...(subcode === undefined ? {} : { subcode }) });
const needMessaging = (): never => fail({ code: 230, message: '(#230) Requires pages_messaging permission to manage the object' });

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('{') && !s.startsWith('[')) return v;
  try {
    return JSON.parse(s);
  } catch {
    return v;
  }
}

function isHttpsDomain(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    // Fully qualified domain names over HTTPS only; no IP addresses, no localhost (domain whitelisting reference).
    return u.protocol === 'https:' && u.hostname.includes('.') && !/^[\d.]+$/.test(u.hostname) && !u.hostname.startsWith('[');
  } catch {
    return false;
  }
}

function isHttpUrl(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], param: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  // Recorded: `(#100) Invalid keys "type, title, url" were found in param "persistent_menu[0]".` (pimax/fb-messenger-php#90).
  if (extra.length > 0) invalid(`Invalid keys "${extra.join(', ')}" were found in param "${param}".`);
}

function requireDefaultLocale(list: unknown[], param: string): void {
  if (!list.some((x) => isObj(x) && x.locale === 'default')) invalid(`param ${param} must contain an element with locale "default"`);
}

function checkGetStarted(v: unknown): void {
  if (!isObj(v)) return invalid('param get_started must be a JSON object');
  onlyKeys(v, ['payload'], 'get_started');
  if (typeof v.payload !== 'string' || v.payload === '') invalid('The parameter get_started[payload] is required');
  if (chars(v.payload as string) > MAX_PAYLOAD_CHARACTERS) invalid(`Length of param get_started[payload] must be less than or equal to ${MAX_PAYLOAD_CHARACTERS}`);
}

function checkGreeting(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) return invalid('param greeting must be a non-empty array');
  v.forEach((g, i) => {
    if (!isObj(g)) return invalid(`param greeting[${i}] must be a JSON object`);
    onlyKeys(g, ['locale', 'text'], `greeting[${i}]`);
    if (typeof g.locale !== 'string' || g.locale === '') invalid(`The parameter greeting[${i}][locale] is required`);
    if (typeof g.text !== 'string' || g.text === '') invalid(`The parameter greeting[${i}][text] is required`);
    if (chars(g.text as string) > MAX_GREETING_CHARACTERS) invalid(`Length of param greeting[${i}][text] must be less than or equal to ${MAX_GREETING_CHARACTERS}`);
    return undefined;
  });
  requireDefaultLocale(v, 'greeting');
}

function checkMenuButton(b: unknown, param: string): void {
  if (!isObj(b)) return invalid(`param ${param} must be a JSON object`);
  // Nested menus (type "nested") were removed in Graph v8.0 (persistent menu reference).
  if (b.type !== 'postback' && b.type !== 'web_url') return invalid(`param ${param}[type] must be one of {WEB_URL, POSTBACK}`);
  onlyKeys(b, b.type === 'postback' ? ['type', 'title', 'payload'] : ['type', 'title', 'url', 'webview_height_ratio', 'messenger_extensions', 'fallback_url', 'webview_share_button'], param);
  if (typeof b.title !== 'string' || b.title === '') invalid(`The parameter ${param}[title] is required`);
  if (chars(b.title as string) > MAX_MENU_TITLE_CHARACTERS) invalid(`Length of param ${param}[title] must be less than or equal to ${MAX_MENU_TITLE_CHARACTERS}`);
  if (b.type === 'postback') {
    if (typeof b.payload !== 'string' || b.payload === '') invalid(`The parameter ${param}[payload] is required`);
    if (chars(b.payload as string) > MAX_PAYLOAD_CHARACTERS) invalid(`Length of param ${param}[payload] must be less than or equal to ${MAX_PAYLOAD_CHARACTERS}`);
  } else if (!isHttpUrl(b.url)) invalid(`param ${param}[url] must be a valid URL`);
  return undefined;
}

function checkPersistentMenu(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) return invalid('param persistent_menu must be a non-empty array');
  v.forEach((m, i) => {
    if (!isObj(m)) return invalid(`param persistent_menu[${i}] must be a JSON object`);
    onlyKeys(m, ['locale', 'composer_input_disabled', 'disabled_surfaces', 'call_to_actions'], `persistent_menu[${i}]`);
    if (typeof m.locale !== 'string' || m.locale === '') invalid(`The parameter persistent_menu[${i}][locale] is required`);
    const items = m.call_to_actions;
    if (m.composer_input_disabled !== true && (!Array.isArray(items) || items.length === 0)) invalid(`The parameter persistent_menu[${i}][call_to_actions] is required`);
    if (items !== undefined) {
      if (!Array.isArray(items)) return invalid(`param persistent_menu[${i}][call_to_actions] must be an array`);
      if (items.length > MAX_MENU_ITEMS) invalid(`param persistent_menu[${i}][call_to_actions] must be an array of at most ${MAX_MENU_ITEMS} elements`);
      items.forEach((b, j) => checkMenuButton(b, `persistent_menu[${i}][call_to_actions][${j}]`));
    }
    return undefined;
  });
  requireDefaultLocale(v, 'persistent_menu');
}

function checkQuestions(list: unknown, param: string): void {
  if (!Array.isArray(list) || list.length === 0) return invalid(`param ${param} must be a non-empty array`);
  // "A maximum of 4 questions can be set via the Ice Breaker API" (ice breakers reference).
  if (list.length > MAX_ICE_BREAKERS) invalid(`param ${param} must be an array of at most ${MAX_ICE_BREAKERS} elements`);
  list.forEach((q, j) => {
    if (!isObj(q)) return invalid(`param ${param}[${j}] must be a JSON object`);
    onlyKeys(q, ['question', 'payload'], `${param}[${j}]`);
    if (typeof q.question !== 'string' || q.question === '') invalid(`The parameter ${param}[${j}][question] is required`);
    if (typeof q.payload !== 'string' || q.payload === '') invalid(`The parameter ${param}[${j}][payload] is required`);
    return undefined;
  });
}

function checkIceBreakers(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) return invalid('param ice_breakers must be a non-empty array');
  const localized = v.some((x) => isObj(x) && 'call_to_actions' in x);
  // One POST carries the old format (questions) or the new one (per locale), not both (ice breakers reference).
  if (!localized) return checkQuestions(v, 'ice_breakers');
  v.forEach((e, i) => {
    if (!isObj(e) || !('call_to_actions' in e)) return invalid('param ice_breakers must use one format: questions, or call_to_actions per locale, not both');
    onlyKeys(e, ['call_to_actions', 'locale'], `ice_breakers[${i}]`);
    if (typeof e.locale !== 'string' || e.locale === '') invalid(`The parameter ice_breakers[${i}][locale] is required`);
    checkQuestions(e.call_to_actions, `ice_breakers[${i}][call_to_actions]`);
    return undefined;
  });
  requireDefaultLocale(v, 'ice_breakers');
}

function checkDomains(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) return invalid('param whitelisted_domains must be a non-empty array');
  if (v.length > MAX_WHITELISTED_DOMAINS) invalid(`param whitelisted_domains must be an array of at most ${MAX_WHITELISTED_DOMAINS} elements`);
  v.forEach((d, i) => {
    if (!isHttpsDomain(d)) invalid(`param whitelisted_domains[${i}] must be a valid https URL with a domain name`);
  });
}

const CHECKS: Record<string, (v: unknown) => void> = {
  get_started: checkGetStarted,
  greeting: checkGreeting,
  persistent_menu: checkPersistentMenu,
  ice_breakers: checkIceBreakers,
  whitelisted_domains: checkDomains,
  account_linking_url: (v) => {
    if (typeof v !== 'string' || !v.startsWith('https://')) invalid('param account_linking_url must be an https URL');
  },
};

/** The person Facebook knows behind a PSID until the control API says otherwise. */
function defaultPerson(psid: string): PersonProfile {
  return {
    first_name: 'Person',
    last_name: psid.slice(-4),
    // The shape of Facebook's profile picture URLs; never fetched by anything in the emulator.
    profile_pic: `https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=${psid}&width=1024&ext=1&hash=emulated`,
    locale: 'en_US',
    timezone: 0,
    gender: 'female',
  };
}

export interface PlatformPage {
  id: string;
  psids: Map<string, unknown>;
}

export function createMessengerPlatform(now: () => number) {
  const people = new Map<string, PersonProfile>();
  const botProfiles = new Map<string, Record<string, unknown>>();
  const profileCalls = new Map<string, number[]>();
  const attachments = new Map<string, StoredAttachment>();

  function admitProfileCall(pageId: string): GraphErrorSpec | undefined {
    const t = now();
    const recent = (profileCalls.get(pageId) ?? []).filter((at) => t - at < PROFILE_WINDOW_MS);
    if (recent.length >= PROFILE_CALLS_PER_WINDOW) {
      profileCalls.set(pageId, recent);
      // Facebook documents the limit, not the error it answers; 613 is its general "rate limit" code (unconfirmed here).
      return { code: 613, message: MSG.sendRate };
    }
    recent.push(t);
    profileCalls.set(pageId, recent);
    return undefined;
  }

  function fieldList(v: unknown): string[] | undefined {
    const parsed = parseJson(v);
    if (Array.isArray(parsed)) return parsed.map(String);
    if (typeof parsed === 'string' && parsed.trim() !== '') return parsed.split(',').map((s) => s.trim()).filter(Boolean);
    return undefined;
  }

  return {
    /** `GET /{PSID}` with the Page token of a Page the person wrote to. */
    userProfile(page: PlatformPage, scopes: readonly string[], psid: string, params: Record<string, unknown>): Record<string, unknown> {
      if (!scopes.includes('pages_messaging')) return needMessaging();
      const person = people.get(`${page.id}:${psid}`) ?? defaultPerson(psid);
      // Recorded: "(#100) No profile available for this user." 100/2018218 (jgorset/facebook-messenger#202).
      if (person.available === false) return invalid('No profile available for this user.', 2018218);
      const fields = fieldList(params.fields) ?? ['name', 'id'];
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (!PERSON_FIELDS.has(f)) return fail({ code: 100, message: MSG.nonexistingField(f, 'User') });
        const gate = GATED_FIELDS[f];
        if (gate !== undefined && !scopes.includes(gate)) continue;
        if (f === 'id') continue;
        out[f] = f === 'name' ? `${person.first_name} ${person.last_name}`.trim() : person[f as keyof PersonProfile];
      }
      out.id = psid;
      return out;
    },

    /** `/me/messenger_profile`: GET with `fields`, POST with properties, DELETE with `fields`. */
    messengerProfile(method: string, page: PlatformPage, scopes: readonly string[], params: Record<string, unknown>): unknown {
      if (!scopes.includes('pages_messaging')) return needMessaging();
      const limited = admitProfileCall(page.id);
      if (limited) return fail(limited);
      const current = botProfiles.get(page.id) ?? {};
      if (method === 'GET') {
        const fields = fieldList(params.fields);
        if (!fields) return invalid('The parameter fields is required');
        for (const f of fields) if (!(PROFILE_PROPERTIES as readonly string[]).includes(f)) invalid(`Param fields[${f}] must be one of {${PROFILE_PROPERTIES.join(', ').toUpperCase()}}`);
        const found: Record<string, unknown> = {};
        for (const f of fields) if (current[f] !== undefined) found[f] = current[f];
        return { data: Object.keys(found).length > 0 ? [found] : [] };
      }
      if (method === 'DELETE') {
        const fields = fieldList(params.fields);
        if (!fields) return invalid('The parameter fields is required');
        for (const f of fields) if (!(PROFILE_PROPERTIES as readonly string[]).includes(f)) invalid(`Param fields[${f}] must be one of {${PROFILE_PROPERTIES.join(', ').toUpperCase()}}`);
        const next = { ...current };
        for (const f of fields) delete next[f];
        if (next.persistent_menu !== undefined && next.get_started === undefined) return invalid('You must set a Get Started button if you also wish to use persistent menu.', 2018145);
        botProfiles.set(page.id, next);
        return { result: 'success' };
      }
      const given: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(params)) {
        if (k === 'access_token' || k === 'appsecret_proof' || k === 'method' || k === 'format' || k === 'suppress_http_code') continue;
        if (!(PROFILE_PROPERTIES as readonly string[]).includes(k)) invalid(`Invalid keys "${k}" were found in param "messenger_profile".`);
        given[k] = parseJson(v);
      }
      if (Object.keys(given).length === 0) return invalid('The parameter messenger_profile must set at least one property');
      for (const [k, v] of Object.entries(given)) CHECKS[k]!(v);
      const next = { ...current, ...given };
      // Recorded: 100/2018145 "(#100) You must set a Get Started button if you also wish to use persistent menu." (pimax/fb-messenger-php#90).
      if (next.persistent_menu !== undefined && next.get_started === undefined) return invalid('You must set a Get Started button if you also wish to use persistent menu.', 2018145);
      botProfiles.set(page.id, next);
      return { result: 'success' };
    },

    /** `POST /me/message_attachments`: `message.attachment` with a URL, or a multipart `filedata` file. */
    uploadAttachment(page: PlatformPage, scopes: readonly string[], params: Record<string, unknown>): { attachment_id: string } {
      if (!scopes.includes('pages_messaging')) return needMessaging();
      const message = parseJson(params.message);
      if (message === undefined) return invalid('The parameter message is required');
      if (!isObj(message) || !isObj(message.attachment)) return invalid('The parameter message[attachment] is required');
      const a = message.attachment;
      if (typeof a.type !== 'string' || !UPLOAD_TYPES.has(a.type)) return invalid('Param message[attachment][type] must be one of {IMAGE, AUDIO, VIDEO, FILE}');
      const payload = isObj(a.payload) ? a.payload : {};
      const file = params.filedata;
      const upload = isObj(file) && Buffer.isBuffer(file.data) ? (file as unknown as UploadedFile) : undefined;
      const url = payload.url;
      if (url !== undefined && upload) return invalid('Cannot upload a file and a url at the same time');
      if (url === undefined && !upload) return invalid('The parameter message[attachment][payload][url] or the file filedata is required');
      if (url !== undefined && !isHttpUrl(url)) return invalid('param message[attachment][payload][url] must be a valid URL');
      // Code and text from the Send API error table (docs/graph-api.md): 100/2018109.
      if (upload && upload.data.length > MAX_ATTACHMENT_BYTES) return invalid('Attachment size exceeds allowable limit', 2018109);
      if (upload && upload.data.length === 0) return invalid('The file filedata is empty');
      const id = numericId(16);
      attachments.set(id, {
        id,
        pageId: page.id,
        type: a.type,
        url: typeof url === 'string' ? url : null,
        file: upload ? { filename: upload.filename ?? null, contentType: upload.contentType ?? null, bytes: upload.data.length } : null,
        reusable: payload.is_reusable === true || payload.is_reusable === 'true',
        createdMs: now(),
      });
      return { attachment_id: id };
    },

    /** Throws the Graph error for a Send API attachment_id this Page never uploaded (or of another type). */
    checkAttachmentId(pageId: string, message: unknown): void {
      if (!isObj(message) || !isObj(message.attachment) || !isObj(message.attachment.payload)) return;
      const id = message.attachment.payload.attachment_id;
      if (id === undefined) return;
      const stored = typeof id === 'string' || typeof id === 'number' ? attachments.get(String(id)) : undefined;
      // Facebook's wording for an unknown id is not documented; this text is the emulator's own.
      if (!stored || stored.pageId !== pageId) invalid(`Param message[attachment][payload][attachment_id] is not an attachment uploaded by this Page`);
    },

    // ---- control API (docs/emulator.md) --------------------------------------------------
    setPerson(pageId: string, psid: string, profile: Partial<PersonProfile>): PersonProfile {
      const next = { ...(people.get(`${pageId}:${psid}`) ?? defaultPerson(psid)), ...profile };
      people.set(`${pageId}:${psid}`, next);
      return next;
    },
    botProfile: (pageId: string): Record<string, unknown> => botProfiles.get(pageId) ?? {},
    attachments: (pageId: string): StoredAttachment[] => [...attachments.values()].filter((a) => a.pageId === pageId),
    profileCallsInWindow: (pageId: string): number => (profileCalls.get(pageId) ?? []).filter((at) => now() - at < PROFILE_WINDOW_MS).length,
  };
}

export type MessengerPlatform = ReturnType<typeof createMessengerPlatform>;
