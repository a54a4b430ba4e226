/**
 * debug_token for many tokens at once: batch requests of 50 under the app token
 * (https://developers.facebook.com/docs/graph-api/reference/debug_token/,
 * https://developers.facebook.com/docs/graph-api/batch-requests/). Input tokens travel in the
 * batch's form body, never in a URL that could be logged.
 */
import { GraphError, badResponseFacts } from '../graph/graph-error.js';
import { debugTokenResponseSchema } from '../graph/schemas.js';
import { toTokenInspection } from '../graph/to-token-inspection.js';
import type { PageKeeperContext } from '../context.js';
import type { TokenInspection } from '../core/types.js';

/**
 * Batch requests in flight at once: a sweep's chunk of 500 (or a 500-page connect) goes out in
 * one round trip instead of ten; Facebook counts the 500 calls the same either way.
 */
export const INSPECT_BATCHES_IN_FLIGHT = 10;

/** One token's outcome: its inspection, or why it could not be inspected (a failed batch item). */
export type InspectOutcome = { ok: true; inspection: TokenInspection } | { ok: false; error: GraphError };

/**
 * Inspects every token, in order; one failed item does not fail the others.
 * https://developers.facebook.com/docs/graph-api/batch-requests/
 */
export async function inspectTokens(ctx: Pick<PageKeeperContext, 'graph'>, tokens: readonly string[], options: { signal?: AbortSignal; concurrency?: number } = {}): Promise<InspectOutcome[]> {
  if (tokens.length === 0) return [];
  const results = await ctx.graph.batch(
    tokens.map((t) => ({ method: 'GET' as const, relativeUrl: `debug_token?input_token=${encodeURIComponent(t)}` })),
    { token: ctx.graph.appToken(), includeHeaders: false, signal: options.signal, concurrency: options.concurrency ?? INSPECT_BATCHES_IN_FLIGHT },
  );
  return results.map((r): InspectOutcome => {
    if (r.error) return { ok: false, error: r.error };
    const parsed = debugTokenResponseSchema.safeParse(r.body);
    if (!parsed.success) return { ok: false, error: new GraphError(badResponseFacts(r.code, `debug_token item: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`)) };
    return { ok: true, inspection: toTokenInspection(parsed.data.data) };
  });
}
