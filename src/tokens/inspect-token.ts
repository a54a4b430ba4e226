/**
 * debug_token for one token, under the app token
 * (https://developers.facebook.com/docs/graph-api/reference/debug_token/). An invalid token
 * is not an error here: Facebook answers HTTP 200 with the reason inside `data`, and so does this.
 */
import { debugTokenResponseSchema } from '../graph/schemas.js';
import { toTokenInspection } from '../graph/to-token-inspection.js';
import type { PageKeeperContext } from '../context.js';
import type { TokenInspection } from '../core/types.js';

/** debug_token for one token; an invalid token resolves with `isValid: false` and the reason. */
export async function inspectToken(ctx: Pick<PageKeeperContext, 'graph'>, token: string, options: { signal?: AbortSignal } = {}): Promise<TokenInspection> {
  const body = await ctx.graph.get(
    'debug_token',
    { input_token: token },
    { token: ctx.graph.appToken(), schema: debugTokenResponseSchema, signal: options.signal },
  );
  return toTokenInspection(body.data);
}
