/**
 * Which Instagram account each Page sends as, for Instagram sends: read from `page_instagram`
 * (written by connect) and kept in memory for a short while, so a busy outbox does not read it
 * per message. A Page with no linked account, or whose token lacks the Instagram messaging
 * scopes, refuses the send locally with PK_INSTAGRAM_UNAVAILABLE and the fix.
 */
import { pkError } from '../errors.js';
import type { PageKeeperContext } from '../context.js';
import { judgeInstagram } from '../tokens/instagram-capability.js';

/** How long a Page's account is trusted from memory; a reconnect re-reads it at once (forget). */
export const ACCOUNT_TTL_MS = 30_000;

export interface InstagramAccounts {
  /** The Instagram account id the Page sends Instagram messages as. @throws PK_INSTAGRAM_UNAVAILABLE */
  accountOf(pageId: string): Promise<string>;
  /** The Page an Instagram account belongs to (webhooks name the account). */
  pageOf(igId: string): Promise<string | undefined>;
  forget(pageId?: string): void;
}

export function createInstagramAccounts(ctx: Pick<PageKeeperContext, 'store'>): InstagramAccounts {
  const repo = ctx.store.instagram;
  const known = new Map<string, { at: number; igId: string }>();
  return {
    async accountOf(pageId) {
      const hit = known.get(pageId);
      if (hit && Date.now() - hit.at < ACCOUNT_TTL_MS) return hit.igId;
      const link = await repo.get(pageId);
      const view = judgeInstagram(link);
      if (view.messaging !== 'ok' || view.id === null) {
        throw pkError(
          'PK_INSTAGRAM_UNAVAILABLE',
          { pageId, reason: view.reason ?? 'unknown', fix: view.fix ?? 'Run pagekeeper connect again.' },
          { details: { pageId, instagram: view.messaging } },
        );
      }
      known.set(pageId, { at: Date.now(), igId: view.id });
      return view.id;
    },
    pageOf: (igId) => repo.pageOf(igId),
    forget(pageId) {
      if (pageId === undefined) known.clear();
      else known.delete(pageId);
    },
  };
}
