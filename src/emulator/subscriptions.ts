/**
 * Webhook subscriptions, as Facebook keeps them: the app's subscription per object
 * (`/{app-id}/subscriptions`: callback URL, verify token, fields, active) and each Page's
 * subscription to the app (`/{page-id}/subscribed_apps`, held on the Page in state.ts). A Page's
 * Messenger event is delivered only when both levels carry its field, and the app subscription
 * is active. A callback URL that keeps failing for DISABLE_AFTER_MS is disabled: the
 * subscription shows `active: false`, the app is unsubscribed from every Page, and nothing is
 * delivered until it is set up again.
 * https://developers.facebook.com/docs/graph-api/reference/application/subscriptions/,
 * https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/,
 * https://developers.facebook.com/docs/messenger-platform/webhooks (failing deliveries).
 */
import type { GraphErrorSpec } from './graph-error.js';
import type { EmulatorState, Page } from './state.js';

/** Page webhook fields useful for Messenger (the Graph SDK's `subscribed_fields` enum, Messenger part). */
export const PAGE_WEBHOOK_FIELDS = [
  'messages',
  'messaging_postbacks',
  'message_deliveries',
  'message_reads',
  'message_echoes',
  'message_edits',
  'message_reactions',
  'messaging_referrals',
  'messaging_optins',
  'messaging_handovers',
  'standby',
  'messaging_policy_enforcement',
  'messaging_account_linking',
  'messaging_feedback',
  'response_feedback',
  'send_cart',
  'inbox_labels',
  'feed',
] as const;

/** What a Page made through the control API is subscribed with unless `"subscribed": false` ("as if subscribed before"). */
export const DEFAULT_PAGE_SUBSCRIBED_FIELDS = ['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals'];

/** Objects `/{app-id}/subscriptions` accepts (Instagram and WhatsApp are App Dashboard only). */
export const SUBSCRIPTION_OBJECTS = ['user', 'page', 'permissions', 'payments'] as const;
export type SubscriptionObject = (typeof SUBSCRIPTION_OBJECTS)[number];

/** Facebook disables a callback URL after an hour of failed deliveries (the webhooks guide). */
export const DISABLE_AFTER_MS = 3600_000;

export interface AppSubscription {
  object: SubscriptionObject;
  callbackUrl: string;
  verifyToken: string;
  fields: string[];
  active: boolean;
  /** Emulator clock ms of the first failed delivery since the last one that worked. */
  failingSinceMs: number | null;
}

/** Why an event was not delivered, in words a test can show. */
export type DeliveryTarget = { url: string; subscription: AppSubscription } | { skipped: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** `a,b` or `["a","b"]` (a JSON body) as a list; undefined when absent. */
export function fieldList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String).map((s) => s.trim()).filter(Boolean);
  const s = str(v);
  if (s === undefined) return undefined;
  if (s.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(s);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: a comma-separated list
    }
  }
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export function createSubscriptions(deps: { state: EmulatorState; now: () => number }) {
  const { state, now } = deps;
  const byObject = new Map<SubscriptionObject, AppSubscription>();

  function wire(s: AppSubscription, version: string) {
    // Real answers carry {name, version} objects, not the documented strings (docs/graph-api.md "Page webhook subscriptions").
    return { object: s.object, callback_url: s.callbackUrl, active: s.active, fields: s.fields.map((name) => ({ name, version })) };
  }

  function unknownFields(fields: readonly string[]): string | undefined {
    return fields.find((f) => !(PAGE_WEBHOOK_FIELDS as readonly string[]).includes(f));
  }

  return {
    get: (object: SubscriptionObject) => byObject.get(object),

    /** `GET /{app-id}/subscriptions`. */
    list: (version: string) => ({ data: [...byObject.values()].map((s) => wire(s, version)) }),

    /**
     * Checks a `POST /{app-id}/subscriptions` before the verification request is made; the spec
     * of Facebook's error when it is refused. Undefined when it may go ahead.
     */
    checkPost(params: Record<string, unknown>): GraphErrorSpec | { object: SubscriptionObject; callbackUrl: string; verifyToken: string; fields: string[] | undefined } {
      const object = str(params.object);
      if (!object) return { code: 100, message: '(#100) The parameter object is required' };
      if (!(SUBSCRIPTION_OBJECTS as readonly string[]).includes(object)) return { code: 100, message: `(#100) Param object must be one of {${SUBSCRIPTION_OBJECTS.join(', ')}} - got "${object}"` };
      const existing = byObject.get(object as SubscriptionObject);
      const callbackUrl = str(params.callback_url) ?? existing?.callbackUrl;
      if (!callbackUrl) return { code: 100, message: '(#100) The parameter callback_url is required' };
      try {
        const u = new URL(callbackUrl);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        return { code: 100, message: '(#100) Param callback_url must be a valid URL' };
      }
      const verifyToken = str(params.verify_token);
      if (!verifyToken) return { code: 100, message: '(#100) The parameter verify_token is required' };
      const fields = fieldList(params.fields);
      if (fields === undefined && !existing) return { code: 100, message: '(#100) The parameter fields is required' };
      const bad = fields && object === 'page' ? unknownFields(fields) : undefined;
      if (bad !== undefined) return { code: 100, message: `(#100) Param fields[] must be one of the page fields - got "${bad}"` };
      return { object: object as SubscriptionObject, callbackUrl, verifyToken, fields };
    },

    /** Creates or replaces (and so reactivates) an app subscription; fields add to the ones it had, as on Facebook. */
    set(input: { object: SubscriptionObject; callbackUrl: string; verifyToken: string; fields?: string[] | undefined }) {
      const existing = byObject.get(input.object);
      const fields = [...new Set([...(existing?.fields ?? []), ...(input.fields ?? [])])];
      const sub: AppSubscription = { object: input.object, callbackUrl: input.callbackUrl, verifyToken: input.verifyToken, fields, active: true, failingSinceMs: null };
      byObject.set(input.object, sub);
      return sub;
    },

    /** `DELETE /{app-id}/subscriptions[?object=&fields=]`: without `object` removes all. */
    remove(params: Record<string, unknown>): GraphErrorSpec | undefined {
      const object = str(params.object);
      if (object === undefined) {
        byObject.clear();
        return undefined;
      }
      if (!(SUBSCRIPTION_OBJECTS as readonly string[]).includes(object)) return { code: 100, message: `(#100) Param object must be one of {${SUBSCRIPTION_OBJECTS.join(', ')}} - got "${object}"` };
      const fields = fieldList(params.fields);
      const sub = byObject.get(object as SubscriptionObject);
      if (sub && fields && fields.length > 0) {
        sub.fields = sub.fields.filter((f) => !fields.includes(f));
        if (sub.fields.length === 0) byObject.delete(sub.object);
      } else byObject.delete(object as SubscriptionObject);
      return undefined;
    },

    clear: () => byObject.clear(),

    /** Where a Page's event of `field` goes, or why it goes nowhere. */
    target(page: Page, field: string): DeliveryTarget {
      const sub = byObject.get('page');
      if (!sub) return { skipped: 'the app has no page webhook subscription (POST /{app-id}/subscriptions or PUT /_emulator/webhook)' };
      if (!sub.active) return { skipped: 'the app webhook subscription is inactive after failing deliveries; set it up again (POST /{app-id}/subscriptions)' };
      if (!sub.fields.includes(field)) return { skipped: `the app webhook subscription lacks the ${field} field` };
      if (!page.subscribedFields) return { skipped: `page ${page.id} is not subscribed to the app (POST /${page.id}/subscribed_apps)` };
      if (!page.subscribedFields.includes(field)) return { skipped: `page ${page.id} is subscribed without the ${field} field` };
      return { url: sub.callbackUrl, subscription: sub };
    },

    /**
     * After a delivery attempt (with its retries): success clears the failure clock; failures
     * past DISABLE_AFTER_MS disable the subscription and unsubscribe the app from every Page.
     */
    recordDelivery(sub: AppSubscription, delivered: boolean): void {
      if (delivered) {
        sub.failingSinceMs = null;
        return;
      }
      const t = now();
      sub.failingSinceMs ??= t;
      if (t - sub.failingSinceMs >= DISABLE_AFTER_MS) {
        sub.active = false;
        for (const page of state.pages.values()) page.subscribedFields = null;
      }
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;

/**
 * `POST /{page-id}/subscribed_apps`: the Page token of someone who can moderate the Page, with
 * `pages_manage_metadata` (recorded error: "(#200) Requires pages_manage_metadata permission to
 * manage the object"), and `subscribed_fields` ("(#100) The parameter subscribed_fields is required.").
 * Facebook's Messenger sample answers `{"success": "true"}`; the recorded body is a boolean.
 */
export function subscribePage(page: Page, scopes: readonly string[], tasks: readonly string[] | undefined, params: Record<string, unknown>): GraphErrorSpec | { success: true } {
  if (!scopes.includes('pages_manage_metadata')) return { code: 200, message: '(#200) Requires pages_manage_metadata permission to manage the object' };
  if (tasks && !tasks.includes('MODERATE') && !tasks.includes('MANAGE')) return { code: 200, message: '(#200) The user must be able to perform the MODERATE task on the page' };
  const fields = fieldList(params.subscribed_fields);
  if (fields === undefined || fields.length === 0) return { code: 100, message: '(#100) The parameter subscribed_fields is required.' };
  const bad = fields.find((f) => !(PAGE_WEBHOOK_FIELDS as readonly string[]).includes(f));
  if (bad !== undefined) return { code: 100, message: `(#100) Param subscribed_fields must be one of {${PAGE_WEBHOOK_FIELDS.join(', ')}} - got "${bad}"` };
  page.subscribedFields = fields;
  return { success: true };
}
