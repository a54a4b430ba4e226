/**
 * Step 2: a short-lived user token (about 1 h) becomes a long-lived one (about 60 days), server
 * side because it needs the app secret
 * (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/;
 * docs/graph-api.md "Long-lived user token"). Page tokens derived from the result never expire.
 */
import { pkError } from '../errors.js';
import { isGraphError } from '../graph/graph-error.js';
import { accessTokenResponseSchema } from '../graph/schemas.js';
import type { PageKeeperContext } from '../context.js';
import type { ExchangedToken } from './exchange-code.js';

/**
 * @throws PK_TOKEN_EXPIRED when the short-lived token has already expired (190/463).
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
 */
export async function exchangeForLongLived(ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'appSecret' | 'clock'>, shortLivedToken: string): Promise<ExchangedToken> {
  try {
    const body = await ctx.graph.get(
      'oauth/access_token',
      { grant_type: 'fb_exchange_token', client_id: ctx.config.appId, client_secret: ctx.appSecret, fb_exchange_token: shortLivedToken },
      { schema: accessTokenResponseSchema },
    );
    return { accessToken: body.access_token, expiresAt: body.expires_in === undefined ? null : new Date(ctx.clock.now().getTime() + body.expires_in * 1000) };
  } catch (e) {
    // 190/463: an expired short-lived token cannot be exchanged.
    if (isGraphError(e) && e.kind === 'token_invalid' && e.tokenReason === 'expired') throw pkError('PK_TOKEN_EXPIRED', { what: 'short-lived user token', detail: '' }, { cause: e });
    throw e;
  }
}
