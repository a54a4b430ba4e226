/**
 * A system user token that is "Valid for 60 days" must be refreshed before its end, with
 * `fb_exchange_token` and `set_token_expires_in_60_days=true`; its Page tokens end with it
 * (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens).
 * The scheduled health check does it (start-health-scheduler.ts): every stored, valid system
 * user token ending within the refresh window is exchanged for a fresh 60-day one, and the
 * system user is connected again with it, so its Pages get Page tokens that end 60 days on,
 * through the same checks and the same single transaction as any connect. A refresh that fails
 * leaves the old tokens in place (they still work until their end) and is tried again next round.
 */
import { accessTokenResponseSchema } from '../graph/schemas.js';
import { connect } from '../tokens/connect.js';
import { pageHealthFromStore } from './page-health-from-store.js';
import type { PageKeeperContext } from '../context.js';

const DAY_MS = 24 * 3600 * 1000;
/** Refresh this long before the end at the latest: earlier than a Page turns `expiring` (14 days by default). */
export const MIN_SYSTEM_USER_REFRESH_BEFORE_MS = 15 * DAY_MS;

export interface SystemUserRefresh {
  /** System users whose token was refreshed, with the new end. */
  refreshed: Array<{ userId: string; expiresAt: Date | null }>;
  /** System users whose refresh failed this time (kept as they were; retried next round). */
  failed: Array<{ userId: string; code: string }>;
}

/** The refresh window: a day more than the expiring window, and at least 15 days. */
export function systemUserRefreshBeforeMs(expiringWindowMs: number): number {
  return Math.max(MIN_SYSTEM_USER_REFRESH_BEFORE_MS, expiringWindowMs + DAY_MS);
}

export async function refreshSystemUserTokens(ctx: PageKeeperContext, options: { signal?: AbortSignal; refreshBeforeMs?: number } = {}): Promise<SystemUserRefresh> {
  const now = ctx.clock.now();
  const before = options.refreshBeforeMs ?? systemUserRefreshBeforeMs(ctx.config.expiringWindowMs);
  const due = (await ctx.store.users.list()).filter(
    (u) => u.tokenKind === 'system_user' && u.status === 'valid' && u.tokenExpiresAt !== null && u.tokenExpiresAt.getTime() - now.getTime() <= before,
  );
  const out: SystemUserRefresh = { refreshed: [], failed: [] };
  for (const user of due) {
    options.signal?.throwIfAborted();
    try {
      const stored = await ctx.store.users.getWithToken(user.id);
      if (!stored) continue;
      const body = await ctx.graph.get(
        'oauth/access_token',
        { grant_type: 'fb_exchange_token', client_id: ctx.config.appId, client_secret: ctx.appSecret, set_token_expires_in_60_days: 'true', fb_exchange_token: stored.token },
        { schema: accessTokenResponseSchema, signal: options.signal },
      );
      // The Pages it holds now, including any that /me/accounts does not list.
      const pageIds = await ctx.store.pageTokens.pageIdsOfUser(user.id);
      const result = await connect(ctx, body.access_token, pageHealthFromStore, { expect: 'system_user', knownPageIds: pageIds, ...(options.signal ? { signal: options.signal } : {}) });
      await ctx.store.audit.append({
        event: 'system_user_token_refreshed',
        userId: user.id,
        oldState: user.tokenExpiresAt?.toISOString() ?? null,
        newState: result.userToken.expiresAt?.toISOString() ?? 'never',
        detail: { pages: result.pages.length },
      });
      out.refreshed.push({ userId: user.id, expiresAt: result.userToken.expiresAt });
      ctx.logger.info({ userId: user.id, expiresAt: result.userToken.expiresAt?.toISOString() ?? null, pages: result.pages.length }, 'system user token refreshed');
    } catch (e) {
      if (options.signal?.aborted) throw e;
      const code = (e as { code?: unknown }).code;
      const pkCode = (e as { pkCode?: unknown }).pkCode;
      out.failed.push({ userId: user.id, code: typeof pkCode === 'string' ? pkCode : typeof code === 'string' ? code : 'PK_INTERNAL' });
      ctx.logger.warn({ userId: user.id, error: e instanceof Error ? e.message : String(e) }, 'system user token refresh failed; the old token works until its end');
    }
  }
  return out;
}
