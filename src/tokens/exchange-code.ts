/**
 * Facebook Login, server side: trades the `code` from the dialog's redirect for a short-lived
 * user token (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#confirm;
 * docs/graph-api.md "Login: a short-lived user token"). `redirectUri` must be byte-identical to the dialog's.
 */
import { pkError } from '../errors.js';
import { isGraphError } from '../graph/graph-error.js';
import { accessTokenResponseSchema } from '../graph/schemas.js';
import type { PageKeeperContext } from '../context.js';

/** A token from `/oauth/access_token`, processed. */
export interface ExchangedToken {
  /** Never log it. */
  accessToken: string;
  /** null when Facebook gave no lifetime. */
  expiresAt: Date | null;
}

/**
 * @throws PK_OAUTH_CODE_INVALID when Facebook refuses the code (used, expired, redirect_uri differs).
 * https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#confirm
 */
export async function exchangeCode(ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'appSecret' | 'clock'>, input: { code: string; redirectUri: string }): Promise<ExchangedToken> {
  try {
    const body = await ctx.graph.get(
      'oauth/access_token',
      { client_id: ctx.config.appId, redirect_uri: input.redirectUri, client_secret: ctx.appSecret, code: input.code },
      // A code is single-use: a blind retry after it reached Facebook would burn it.
      { schema: accessTokenResponseSchema, idempotent: false },
    );
    return { accessToken: body.access_token, expiresAt: body.expires_in === undefined ? null : new Date(ctx.clock.now().getTime() + body.expires_in * 1000) };
  } catch (e) {
    if (isGraphError(e) && e.kind === 'invalid_request' && e.code === 100) throw pkError('PK_OAUTH_CODE_INVALID', { detail: e.detail }, { cause: e });
    throw e;
  }
}
