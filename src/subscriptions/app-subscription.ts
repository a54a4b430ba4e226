/**
 * The app-level webhook subscription (`/{app-id}/subscriptions`, app token): where Facebook
 * sends the app's webhooks, for which object and fields, and whether it is active
 * (https://developers.facebook.com/docs/graph-api/reference/application/subscriptions/).
 * Only fields subscribed at both the app and the Page level are delivered.
 */
import { z } from 'zod';
import type { GraphClient } from '../graph/create-graph-client.js';

/** One app subscription, processed. */
export interface AppSubscription {
  object: string;
  callbackUrl: string | null;
  active: boolean;
  fields: string[];
}

// The doc says `fields` is string[]; real answers carry {name, version} objects: accept both.
const appSubscriptionsSchema = z.object({
  data: z.array(
    z.object({
      object: z.string(),
      callback_url: z.string().optional(),
      active: z.boolean().optional(),
      fields: z.array(z.union([z.string(), z.object({ name: z.string() }).loose()])).optional(),
    }),
  ),
});

const successSchema = z.object({ success: z.union([z.boolean(), z.literal('true'), z.literal('false')]) });

/** `GET /{app-id}/subscriptions`. */
export async function readAppSubscriptions(graph: GraphClient, appId: string, options: { signal?: AbortSignal } = {}): Promise<AppSubscription[]> {
  const res = await graph.get(`${appId}/subscriptions`, {}, { token: graph.appToken(), schema: appSubscriptionsSchema, signal: options.signal });
  return res.data.map((s) => ({
    object: s.object,
    callbackUrl: s.callback_url ?? null,
    // Absent on old answers: treat a listed subscription as active.
    active: s.active ?? true,
    fields: (s.fields ?? []).map((f) => (typeof f === 'string' ? f : f.name)),
  }));
}

/**
 * `POST /{app-id}/subscriptions` for the `page` object. Facebook calls `callbackUrl` with
 * hub.challenge and `verifyToken` during this call, so the receiver must already answer.
 * The verify token travels in the form body, never in the URL.
 */
export async function setupPageSubscription(
  graph: GraphClient,
  input: { appId: string; callbackUrl: string; verifyToken: string; fields: readonly string[] },
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  const res = await graph.request({
    method: 'POST',
    path: `${input.appId}/subscriptions`,
    form: { object: 'page', callback_url: input.callbackUrl, fields: input.fields.join(','), include_values: 'true', verify_token: input.verifyToken },
    token: graph.appToken(),
    schema: successSchema,
    // Setting the same subscription twice leaves one subscription.
    idempotent: true,
    signal: options.signal,
  });
  return res.data.success === true || res.data.success === 'true';
}

/** What `webhooks status` and `doctor` say about the app level. */
export interface AppSubscriptionVerdict {
  ok: boolean;
  /** Plain words, one per problem; empty when ok. */
  problems: string[];
  fix: string | null;
}

/**
 * Is the `page` subscription there, active, pointing at pagekeeper's receiver and carrying
 * every field pagekeeper subscribes Pages with? Pure.
 */
export function judgeAppSubscription(subscriptions: readonly AppSubscription[], expected: { callbackUrl: string | null; fields: readonly string[] }): AppSubscriptionVerdict {
  const page = subscriptions.find((s) => s.object === 'page');
  const fix = 'Run `pagekeeper webhooks setup` while `pagekeeper serve` is reachable at PAGEKEEPER_PUBLIC_URL.';
  if (!page) return { ok: false, problems: ['the app has no webhook subscription for Pages, so Facebook sends no Messenger webhook anywhere'], fix };
  const problems: string[] = [];
  if (!page.active) problems.push('the subscription is inactive (Facebook disables it after its callback URL keeps failing)');
  if (expected.callbackUrl !== null && page.callbackUrl !== expected.callbackUrl) problems.push(`webhooks go to ${page.callbackUrl ?? 'no URL'}, not to ${expected.callbackUrl}`);
  const missing = expected.fields.filter((f) => !page.fields.includes(f));
  if (missing.length > 0) problems.push(`the subscription lacks the fields ${missing.join(', ')}`);
  return problems.length === 0 ? { ok: true, problems, fix: null } : { ok: false, problems, fix };
}

/** Where pagekeeper's service receives Messenger webhooks. */
export function messengerCallbackUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/messenger`;
}
