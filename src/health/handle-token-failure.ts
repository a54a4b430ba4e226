/**
 * What happens the moment Facebook refuses a Page token (190 or 102) on any call: that token
 * is marked invalid (one conditional write: only a valid row changes), the
 * loss goes to the audit log, the token cache forgets the Page so the next call gets the next
 * valid token, and the Page is re-judged from stored facts (no Graph call). A Page that still
 * has another admin's valid token stays usable, `healthy` with a warning.
 *
 * Concurrent failures of the same token share one in-flight promise per (page, user), so 100
 * sends failing together make one write, one audit row and one alert.
 */
import type { PageKeeperContext } from '../context.js';
import type { TokenInvalidReason } from '../core/types.js';
import { rejudgePage, type RejudgedPage } from './rejudge-pages.js';

export interface TokenFailure {
  pageId: string;
  /** Whose grant the refused token is. */
  userId: string;
  reason: TokenInvalidReason;
  /** Graph's code (190 or 102) and subcode, for the audit row. */
  code: number;
  subcode: number | null;
  /** Where it was seen: `graph_call` (default), `deauthorize`, ... */
  source?: string;
}

export interface TokenFailureOutcome {
  /** True when this failure (or one it was coalesced with) turned the token from valid to invalid. */
  invalidated: boolean;
  /** The Page as re-judged; undefined when it is no longer connected. */
  page: RejudgedPage | undefined;
}

export interface TokenFailureHandler {
  handle(failure: TokenFailure): Promise<TokenFailureOutcome>;
  /** Failures being handled right now (for tests and metrics). */
  readonly inFlight: number;
}

export function createTokenFailureHandler(ctx: PageKeeperContext, options: { onChange?: () => void } = {}): TokenFailureHandler {
  const inFlight = new Map<string, Promise<TokenFailureOutcome>>();

  async function run(f: TokenFailure): Promise<TokenFailureOutcome> {
    const source = f.source ?? 'graph_call';
    const outcome = await ctx.store.transaction(async (tx) => {
      const invalidated = await tx.pageTokens.markInvalid(f.pageId, f.userId, { reason: f.reason, subcode: f.subcode });
      if (invalidated) {
        await tx.audit.append({
          event: 'token_invalidated',
          pageId: f.pageId,
          userId: f.userId,
          oldState: 'valid',
          newState: 'invalid',
          reason: f.reason,
          detail: { source, graphCode: f.code, graphSubcode: f.subcode },
        });
      }
      // The cache must not hand this token out again, even if another failure marked it first.
      ctx.tokens.invalidate(f.pageId);
      const page = invalidated ? await rejudgePage(tx, ctx, f.pageId, { source, userId: f.userId }) : undefined;
      return { invalidated, page };
    });
    ctx.tokens.invalidate(f.pageId);
    if (outcome.invalidated) {
      const p = outcome.page;
      ctx.logger.warn(
        { pageId: f.pageId, userId: f.userId, reason: f.reason, code: f.code, subcode: f.subcode, status: p?.status, validTokens: p?.validTokens },
        p && p.validTokens > 0 ? 'page token refused by Facebook; failing over to another admin token' : 'page token refused by Facebook; no valid token left',
      );
      options.onChange?.();
      return outcome;
    }
    // Already marked by someone else: report the Page as stored, without writing.
    const stored = await ctx.store.pages.getWithTokens(f.pageId);
    if (!stored || stored.removedAt !== null) return { invalidated: false, page: undefined };
    const valid = stored.tokens.filter((t) => t.status === 'valid').length;
    return {
      invalidated: false,
      page: { pageId: f.pageId, previousStatus: stored.status, status: stored.status, reason: stored.reason, fix: stored.fix, warning: stored.warning, validTokens: valid, lostTokens: stored.tokens.length - valid },
    };
  }

  return {
    handle(failure) {
      const key = `${failure.pageId}\u0000${failure.userId}`;
      const pending = inFlight.get(key);
      if (pending) return pending;
      const p = run(failure).finally(() => {
        if (inFlight.get(key) === p) inFlight.delete(key);
      });
      inFlight.set(key, p);
      return p;
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
