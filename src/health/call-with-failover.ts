/**
 * A Graph call with a Page's token that survives the token dying: when
 * Facebook answers 190/102, the token is handled (marked, audited, Page re-judged) and, where
 * another admin's valid token exists and repeating is safe, the call is made once more with it.
 *
 * Safe means: the call is idempotent (GET, or the caller says so), or it never reached Facebook
 * (`delivery: 'not_sent'`). A refused POST is not repeated here: Facebook does not de-duplicate
 * sends (docs/graph-api.md "Messenger Send API"), and the outbox decides about its own retries.
 */
import { isGraphError, type GraphError } from '../graph/graph-error.js';
import type { PageKeeperContext } from '../context.js';
import type { TokenFailureHandler } from './handle-token-failure.js';

export interface FailoverOptions {
  /** The call may be repeated: GET and other idempotent calls. */
  idempotent: boolean;
}

export function isTokenRefusal(e: unknown): e is GraphError {
  return isGraphError(e) && e.kind === 'token_invalid';
}

export async function callWithFailover<T>(
  ctx: Pick<PageKeeperContext, 'tokens'>,
  failures: TokenFailureHandler,
  pageId: string,
  call: (token: string) => Promise<T>,
  options: FailoverOptions,
): Promise<T> {
  const first = await ctx.tokens.get(pageId);
  try {
    return await call(first.token);
  } catch (e) {
    if (!isTokenRefusal(e)) throw e;
    const outcome = await failures.handle({ pageId, userId: first.userId, reason: e.tokenReason ?? 'invalid', code: e.code, subcode: e.subcode });
    const safe = options.idempotent || e.delivery === 'not_sent';
    if (!safe || !outcome.page || outcome.page.validTokens === 0) throw e;
    let next;
    try {
      next = await ctx.tokens.get(pageId);
    } catch {
      throw e;
    }
    if (next.userId === first.userId) throw e;
    try {
      return await call(next.token);
    } catch (e2) {
      // Retried once only; a second refusal is still recorded so the next call moves on.
      if (isTokenRefusal(e2)) await failures.handle({ pageId, userId: next.userId, reason: e2.tokenReason ?? 'invalid', code: e2.code, subcode: e2.subcode });
      throw e2;
    }
  }
}
