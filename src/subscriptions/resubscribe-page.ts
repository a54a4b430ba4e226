/**
 * An operator's "re-subscribe": `POST /{page-id}/subscribed_apps` with PAGEKEEPER_WEBHOOK_FIELDS and
 * the Page's token in use, now, whatever pagekeeper last knew of the subscription
 * (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/#Creating).
 * The outcome is recorded as connect records it; a refusal is said in plain words with a fix
 * (describe-subscription-problem.ts), not thrown: the Page stays connected either way.
 */
import { pkError } from '../errors.js';
import type { PageKeeperContext } from '../context.js';
import { subscribeConnectedPages, type PageSubscription } from './subscribe-connected-pages.js';

export async function resubscribePage(ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'store' | 'clock' | 'logger'>, pageId: string): Promise<PageSubscription> {
  const page = await ctx.store.pages.get(pageId);
  if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
  const inUse = await ctx.store.pageTokens.getFirstValidToken(pageId);
  if (!inUse) throw pkError('PK_NO_VALID_TOKEN', { pageId, reason: 'every stored token was refused', fix: 'Reconnect a person who manages the Page (the Connect button, or `pagekeeper connect`).' });
  // The operator asks for the call: it is made even when the token's grant looks short of
  // pages_manage_metadata; Facebook's refusal then says why.
  const result = await subscribeConnectedPages(ctx, [{ pageId, token: inUse.token, canManage: true }]);
  const sub = result.get(pageId)!;
  await ctx.store.audit.append({ event: 'page_resubscribed', pageId, newState: sub.subscribed ? 'subscribed' : 'not_subscribed', reason: sub.reason, detail: { fields: sub.fields.length } });
  return sub;
}
