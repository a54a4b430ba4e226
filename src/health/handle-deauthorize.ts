/**
 * Facebook's deauthorize callback: the person removed the app, so every token they granted
 * answers 190/458 from now on (docs/graph-api.md "Webhooks" and "Error object"). Every such
 * token is marked invalid at once (reason app_removed), each loss audited, each Page re-judged:
 * Pages another admin also connected keep working on that admin's token (failover).
 * https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#deauth-callback
 */
import type { PageKeeperContext } from '../context.js';
import { rejudgePage, type RejudgedPage } from './rejudge-pages.js';

export interface DeauthorizeResult {
  userId: string;
  /** False when nothing was valid any more (an unknown user, or a repeated callback). */
  changed: boolean;
  /** The Pages whose token from this user was marked invalid, as re-judged. */
  pages: RejudgedPage[];
}

const APP_REMOVED_SUBCODE = 458;

export async function handleDeauthorize(ctx: PageKeeperContext, userId: string): Promise<DeauthorizeResult> {
  const result = await ctx.store.transaction(async (tx) => {
    const userChanged = await tx.users.markInvalid(userId, 'app_removed');
    const pageIds = await tx.pageTokens.markInvalidForUser(userId, { reason: 'app_removed', subcode: APP_REMOVED_SUBCODE });
    if (!userChanged && pageIds.length === 0) return { userId, changed: false, pages: [] };
    await tx.audit.append({ event: 'user_deauthorized', userId, oldState: 'valid', newState: 'invalid', reason: 'app_removed', detail: { source: 'deauthorize', pages: pageIds.length } });
    const pages: RejudgedPage[] = [];
    for (const pageId of pageIds) {
      await tx.audit.append({
        event: 'token_invalidated',
        pageId,
        userId,
        oldState: 'valid',
        newState: 'invalid',
        reason: 'app_removed',
        detail: { source: 'deauthorize', graphSubcode: APP_REMOVED_SUBCODE },
      });
      const page = await rejudgePage(tx, ctx, pageId, { source: 'deauthorize', userId });
      if (page) pages.push(page);
    }
    return { userId, changed: true, pages };
  });
  for (const p of result.pages) ctx.tokens.invalidate(p.pageId);
  if (result.changed) ctx.logger.warn({ userId, pages: result.pages.length, needsReauth: result.pages.filter((p) => p.status === 'needs_reauth').length }, 'user removed the app; their tokens are marked invalid');
  return result;
}
