/**
 * The three Page subscription calls, each for many Pages in batch requests of 50 under the app
 * token, every item with its own Page token (and proof) inside the batch body
 * (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/,
 * https://developers.facebook.com/docs/graph-api/batch-requests/). Subscribing twice sets the
 * same fields and unsubscribing twice removes nothing more, so all three are repeated safely on
 * faults. A batch that fails as a whole gives every item its error; nothing throws but an abort.
 */
import { z } from 'zod';
import { GraphError, badResponseFacts } from '../graph/graph-error.js';
import { formatIssues } from '../graph/process-response.js';
import type { BatchItem, BatchItemResult } from '../graph/types.js';
import type { PageKeeperContext } from '../context.js';

/** A Page and the token to act with. Never log the token. */
export interface SubscriptionTarget {
  pageId: string;
  token: string;
}

export type SubscriptionRead = { ok: true; subscribed: boolean; fields: string[] } | { ok: false; error: GraphError };
export type SubscriptionWrite = { ok: true } | { ok: false; error: GraphError };

/** Facebook's Messenger sample answers `{"success": "true"}`; the recorded body is a boolean: accept both. */
const successSchema = z.object({ success: z.union([z.boolean(), z.literal('true'), z.literal('false')]) });
/** Only the calling app is listed; `subscribed_fields` is absent in some old answers. */
const subscribedAppsSchema = z.object({ data: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String), subscribed_fields: z.array(z.string()).optional() })) });

type Ctx = Pick<PageKeeperContext, 'graph' | 'config'>;

/**
 * Batches in flight at once: connect subscribes a 500-Page person in 10 batches, and at a real
 * round trip (50-300 ms) each wave of batches costs one; 10 keeps that to one wave, as debug_token
 * does for the same Pages (src/tokens/inspect-tokens.ts).
 */
export const SUBSCRIPTION_BATCHES_IN_FLIGHT = 10;

async function run(ctx: Ctx, items: BatchItem[], signal: AbortSignal | undefined): Promise<BatchItemResult[]> {
  try {
    return await ctx.graph.batch(items, { token: ctx.graph.appToken(), includeHeaders: false, idempotent: true, signal, concurrency: SUBSCRIPTION_BATCHES_IN_FLIGHT });
  } catch (e) {
    if (signal?.aborted || !(e instanceof GraphError)) throw e;
    return items.map(() => ({ code: 0, headers: {}, body: undefined, error: e }));
  }
}

function parsed<T>(r: BatchItemResult, schema: z.ZodType<T>, what: string): { ok: true; value: T } | { ok: false; error: GraphError } {
  if (r.error) return { ok: false, error: r.error };
  const p = schema.safeParse(r.body);
  if (!p.success) return { ok: false, error: new GraphError(badResponseFacts(r.code, `${what}: ${formatIssues(p.error.issues)}`)) };
  return { ok: true, value: p.data };
}

/** `GET /{page-id}/subscribed_apps` for each Page: is this app subscribed, with which fields. */
export async function readSubscriptions(ctx: Ctx, targets: readonly SubscriptionTarget[], options: { signal?: AbortSignal } = {}): Promise<SubscriptionRead[]> {
  if (targets.length === 0) return [];
  const results = await run(ctx, targets.map((t) => ({ method: 'GET', relativeUrl: `${t.pageId}/subscribed_apps`, token: t.token })), options.signal);
  return results.map((r): SubscriptionRead => {
    const p = parsed(r, subscribedAppsSchema, 'subscribed_apps');
    if (!p.ok) return p;
    const app = p.value.data.find((a) => a.id === ctx.config.appId);
    return { ok: true, subscribed: app !== undefined, fields: app?.subscribed_fields ?? [] };
  });
}

function written(r: BatchItemResult, what: string): SubscriptionWrite {
  const p = parsed(r, successSchema, what);
  if (!p.ok) return p;
  if (p.value.success === true || p.value.success === 'true') return { ok: true };
  return { ok: false, error: new GraphError(badResponseFacts(r.code, `${what} answered success: false`)) };
}

/** `POST /{page-id}/subscribed_apps?subscribed_fields=...` for each Page. */
export async function subscribePages(ctx: Ctx, targets: readonly SubscriptionTarget[], fields: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SubscriptionWrite[]> {
  if (targets.length === 0) return [];
  const body = { subscribed_fields: fields.join(',') };
  const results = await run(ctx, targets.map((t) => ({ method: 'POST', relativeUrl: `${t.pageId}/subscribed_apps`, body, token: t.token })), options.signal);
  return results.map((r) => written(r, 'subscribed_apps'));
}

/** `DELETE /{page-id}/subscribed_apps` for each Page. */
export async function unsubscribePages(ctx: Ctx, targets: readonly SubscriptionTarget[], options: { signal?: AbortSignal } = {}): Promise<SubscriptionWrite[]> {
  if (targets.length === 0) return [];
  const results = await run(ctx, targets.map((t) => ({ method: 'DELETE', relativeUrl: `${t.pageId}/subscribed_apps`, token: t.token })), options.signal);
  return results.map((r) => written(r, 'subscribed_apps'));
}
