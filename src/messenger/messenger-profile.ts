/**
 * The Page's bot settings: the Messenger Profile API, `GET/POST/DELETE /me/messenger_profile`
 * with the Page token (https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api).
 * A profile is checked here with the limits Facebook applies, before any call: an invalid one is
 * refused with PK_BOT_PROFILE_INVALID naming every problem, and Facebook is not asked (its
 * limit of 10 calls per 10 minutes per Page is not spent on a mistake).
 *
 * Limits (Meta's references, linked per property below; docs/messenger-profile.md):
 * - greeting: `[{locale, text}]`, text at most 160 characters, one with locale `default`;
 * - persistent_menu: `[{locale, composer_input_disabled?, call_to_actions}]`, at most 20 buttons
 *   (postback or web_url, no nesting since Graph v8.0), titles at most 30 characters, payloads
 *   at most 1000; one with locale `default`; needs a Get Started button;
 * - ice_breakers: at most 4 questions, old format `[{question, payload}]` or per locale
 *   `[{call_to_actions:[...], locale}]`, not both;
 * - whitelisted_domains: at most 50, https with a domain name (no IP address, no localhost).
 */
import { z } from 'zod';
import { pkError } from '../errors.js';

export const MAX_GREETING_CHARACTERS = 160;
export const MAX_MENU_ITEMS = 20;
export const MAX_MENU_TITLE_CHARACTERS = 30;
export const MAX_PAYLOAD_CHARACTERS = 1000;
export const MAX_ICE_BREAKERS = 4;
export const MAX_WHITELISTED_DOMAINS = 50;
export const MESSENGER_PROFILE_FIELDS = ['get_started', 'greeting', 'persistent_menu', 'ice_breakers', 'whitelisted_domains'] as const;
export type MessengerProfileField = (typeof MESSENGER_PROFILE_FIELDS)[number];

export interface MenuButton {
  type: 'postback' | 'web_url';
  title: string;
  payload?: string;
  url?: string;
  webview_height_ratio?: 'compact' | 'tall' | 'full';
  messenger_extensions?: boolean;
  fallback_url?: string;
  webview_share_button?: 'hide' | 'show';
}
export interface IceBreaker {
  question: string;
  payload: string;
}

/** Wire shape (Graph's spelling), as POSTed and as GET answers it. */
export interface MessengerProfile {
  /** https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/get-started-button */
  get_started?: { payload: string };
  /** https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/greeting */
  greeting?: Array<{ locale: string; text: string }>;
  /** https://developers.facebook.com/docs/messenger-platform/send-messages/persistent-menu */
  persistent_menu?: Array<{ locale: string; composer_input_disabled?: boolean; disabled_surfaces?: string[]; call_to_actions?: MenuButton[] }>;
  /** https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/ice-breakers */
  ice_breakers?: IceBreaker[] | Array<{ locale: string; call_to_actions: IceBreaker[] }>;
  /** https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/domain-whitelisting */
  whitelisted_domains?: string[];
}

const chars = (s: string) => [...s].length;
const text = (max: number, what: string) => z.string().min(1, `${what} must not be empty`).refine((s) => chars(s) <= max, { message: `${what} is longer than ${max} characters` });

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
function isWhitelistable(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.hostname.includes('.') && !/^[\d.]+$/.test(u.hostname) && !u.hostname.startsWith('[');
  } catch {
    return false;
  }
}

const button = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('postback'), title: text(MAX_MENU_TITLE_CHARACTERS, 'title'), payload: text(MAX_PAYLOAD_CHARACTERS, 'payload') }),
  z.strictObject({
    type: z.literal('web_url'),
    title: text(MAX_MENU_TITLE_CHARACTERS, 'title'),
    url: z.string().refine(isHttpUrl, 'url must be an http or https URL'),
    webview_height_ratio: z.enum(['compact', 'tall', 'full']).optional(),
    messenger_extensions: z.boolean().optional(),
    fallback_url: z.string().refine(isHttpUrl, 'fallback_url must be an http or https URL').optional(),
    webview_share_button: z.enum(['hide', 'show']).optional(),
  }),
]);
const question = z.strictObject({ question: z.string().min(1, 'question must not be empty'), payload: z.string().min(1, 'payload must not be empty') });
const questions = z.array(question).min(1, 'needs at least one question').max(MAX_ICE_BREAKERS, `at most ${MAX_ICE_BREAKERS} ice breakers are allowed`);
const hasDefault = (list: Array<{ locale: string }>) => list.some((x) => x.locale === 'default');
const DEFAULT_LOCALE = 'needs one entry with locale "default"';

const profileSchema = z.strictObject({
  get_started: z.strictObject({ payload: text(MAX_PAYLOAD_CHARACTERS, 'payload') }).optional(),
  greeting: z
    .array(z.strictObject({ locale: z.string().min(1), text: text(MAX_GREETING_CHARACTERS, 'text') }))
    .min(1)
    .refine(hasDefault, DEFAULT_LOCALE)
    .optional(),
  persistent_menu: z
    .array(
      z
        .strictObject({
          locale: z.string().min(1),
          composer_input_disabled: z.boolean().optional(),
          disabled_surfaces: z.array(z.string()).optional(),
          call_to_actions: z.array(button).max(MAX_MENU_ITEMS, `at most ${MAX_MENU_ITEMS} menu items are allowed (Graph v8.0 and later; no nested menus)`).optional(),
        })
        .refine((m) => m.composer_input_disabled === true || (m.call_to_actions?.length ?? 0) > 0, 'call_to_actions needs at least one button'),
    )
    .min(1)
    .refine(hasDefault, DEFAULT_LOCALE)
    .optional(),
  ice_breakers: z
    .union([questions, z.array(z.strictObject({ locale: z.string().min(1), call_to_actions: questions })).min(1).refine(hasDefault, DEFAULT_LOCALE)])
    .optional(),
  whitelisted_domains: z
    .array(z.string().refine(isWhitelistable, 'must be an https URL with a domain name (no IP address, no localhost)'))
    .min(1)
    .max(MAX_WHITELISTED_DOMAINS, `at most ${MAX_WHITELISTED_DOMAINS} domains are allowed`)
    .optional(),
});

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? 'the profile' : out;
}

/**
 * Throws PK_BOT_PROFILE_INVALID naming every problem when `profile` is not one Facebook would
 * accept; `details.problems` lists them. `existing`: what the Page has already (a persistent menu
 * needs a Get Started button, set now or before).
 */
export function validateMessengerProfile(profile: unknown, existing: { hasGetStarted?: boolean } = {}): asserts profile is MessengerProfile {
  const parsed = profileSchema.safeParse(profile);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'invalid_union' && pathOf(issue.path) === 'ice_breakers') {
        problems.push(`ice_breakers must be up to ${MAX_ICE_BREAKERS} {question, payload} objects, or [{locale, call_to_actions: [...]}] with a "default" locale; not both formats`);
      } else if (issue.code === 'unrecognized_keys') problems.push(`${pathOf(issue.path)} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`);
      else problems.push(`${pathOf(issue.path)}: ${issue.message}`);
    }
  } else {
    const p = parsed.data;
    if (Object.keys(p).length === 0) problems.push(`the profile sets nothing: give at least one of ${MESSENGER_PROFILE_FIELDS.join(', ')}`);
    // 100/2018145 "You must set a Get Started button if you also wish to use persistent menu."
    if (p.persistent_menu !== undefined && p.get_started === undefined && existing.hasGetStarted !== true) problems.push('persistent_menu needs a Get Started button: set get_started too');
  }
  if (problems.length > 0) throw pkError('PK_BOT_PROFILE_INVALID', { detail: problems.join('; ') }, { details: { problems } });
}

/** The Graph calls, each with the Page's token (bound by the caller). */
export interface MessengerProfileCalls {
  get(fields: readonly string[]): Promise<unknown>;
  post(profile: MessengerProfile): Promise<unknown>;
  delete(fields: readonly string[]): Promise<unknown>;
}

export interface MessengerProfileHandle {
  /** The Page's current settings (only the properties that are set). */
  get(fields?: readonly MessengerProfileField[]): Promise<MessengerProfile>;
  /** Sets the given properties (others stay as they are). @throws PK_BOT_PROFILE_INVALID before any call */
  set(profile: MessengerProfile): Promise<void>;
  /** Removes the given properties. */
  delete(fields: readonly MessengerProfileField[]): Promise<void>;
}

const GetAnswer = z.object({ data: z.array(z.record(z.string(), z.unknown())) });

/** `{"data":[{...}]}` -> the profile; pure. */
export function toMessengerProfile(answer: unknown): MessengerProfile {
  const parsed = GetAnswer.safeParse(answer);
  if (!parsed.success) throw pkError('PK_GRAPH_BAD_RESPONSE', { detail: 'the Messenger Profile answer has no data array' });
  return Object.assign({}, ...parsed.data.data) as MessengerProfile;
}

function checkFields(fields: readonly string[]): void {
  const unknown = fields.filter((f) => !(MESSENGER_PROFILE_FIELDS as readonly string[]).includes(f));
  if (fields.length === 0 || unknown.length > 0) {
    throw pkError('PK_BOT_PROFILE_INVALID', { detail: `fields must name at least one of ${MESSENGER_PROFILE_FIELDS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}` });
  }
}

export function createMessengerProfileHandle(calls: MessengerProfileCalls): MessengerProfileHandle {
  return {
    async get(fields = MESSENGER_PROFILE_FIELDS) {
      checkFields(fields);
      return toMessengerProfile(await calls.get(fields));
    },
    async set(profile) {
      // A menu without get_started in this call may still be fine when the Page has one: ask only then.
      let hasGetStarted = false;
      if (typeof profile === 'object' && profile !== null && 'persistent_menu' in profile && !('get_started' in profile)) {
        validateMessengerProfile({ ...profile, get_started: { payload: 'x' } });
        hasGetStarted = toMessengerProfile(await calls.get(['get_started'])).get_started !== undefined;
      }
      validateMessengerProfile(profile, { hasGetStarted });
      await calls.post(profile);
    },
    async delete(fields) {
      checkFields(fields);
      await calls.delete(fields);
    },
  };
}
