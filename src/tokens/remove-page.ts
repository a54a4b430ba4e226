/**
 * An operator removes a Page from pagekeeper: its waiting messages (queued, held) are cancelled,
 * the app is unsubscribed from its webhooks where a token still works (best effort,
 * https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/#Deleting), every
 * stored token for it is deleted and the Page is marked removed. Connecting it again (a person who
 * manages it goes through Connect) brings it back with fresh tokens.
 */
import { pkError } from '../errors.js';
import type { PageKeeperContext } from '../context.js';
import { unsubscribeRemovedPages } from '../subscriptions/unsubscribe-removed-pages.js';

export interface RemovePageResult {
  pageId: string;
  /** Waiting messages that were cancelled. */
  cancelledMessages: number;
  tokensDeleted: number;
  /** Whether Facebook confirmed the app no longer receives the Page's webhooks. */
  unsubscribed: boolean;
}

export async function removePage(ctx: PageKeeperContext, pageId: string): Promise<RemovePageResult> {
  const page = await ctx.store.pages.get(pageId);
  if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
  const inUse = await ctx.store.pageTokens.getFirstValidToken(pageId).catch(() => undefined);
  const now = ctx.clock.now();
  const removed = await ctx.store.transaction(async (tx) => {
    const r = await tx.outboxConsole.removePage(pageId, now.getTime());
    await tx.audit.append({
      event: 'page_removed',
      pageId,
      oldState: page.status,
      newState: 'removed',
      reason: 'removed by an operator',
      detail: { cancelledMessages: r.cancelled.length, tokensDeleted: r.tokensDeleted },
    });
    return r;
  });
  ctx.tokens.invalidate(pageId);
  const unsubscribed = inUse ? (await unsubscribeRemovedPages(ctx, [{ pageId, token: inUse.token }]).catch((): string[] => [])).includes(pageId) : false;
  return { pageId, cancelledMessages: removed.cancelled.length, tokensDeleted: removed.tokensDeleted, unsubscribed };
}
