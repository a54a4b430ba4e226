/**
 * A Page pagekeeper no longer keeps (reconnected without it, its data deleted) should stop
 * sending webhooks: `DELETE /{page-id}/subscribed_apps` with the last token held for it, where
 * that token still works (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/#Deleting).
 * Best effort: a refusal is logged (with the Graph code, never the token) and forgotten.
 */
import type { PageKeeperContext } from '../context.js';
import { unsubscribePages, type SubscriptionTarget } from './page-subscription-calls.js';

export async function unsubscribeRemovedPages(ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'logger'>, targets: readonly SubscriptionTarget[], options: { signal?: AbortSignal } = {}): Promise<string[]> {
  if (targets.length === 0) return [];
  const results = await unsubscribePages(ctx, targets, options);
  const done: string[] = [];
  results.forEach((r, i) => {
    const pageId = targets[i]!.pageId;
    if (r.ok) done.push(pageId);
    else ctx.logger.info({ pageId, code: r.error.code, kind: r.error.kind }, 'a removed page could not be unsubscribed from webhooks');
  });
  return done;
}
