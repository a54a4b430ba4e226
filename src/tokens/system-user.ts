/**
 * What connect does differently for a system user's token (Business Settings > Users > System
 * users > Generate new token, or a Business Integration System User token from Facebook Login
 * for Business):
 *
 * - debug_token says `type: "SYSTEM_USER"`; the token has no short life, so nothing is exchanged;
 *   it never expires (`expires_at: 0`) or lasts 60 days and is then refreshed
 *   (health/refresh-system-user-tokens.ts);
 * - its Pages are the ones assigned to it. Third-party guides read them from `GET /me/accounts`;
 *   whether Facebook lists them there is not documented, so Page ids the caller names are read
 *   from the Page itself (`GET /{page-id}?fields=access_token`) when /me/accounts leaves them out,
 *   or refuses the call;
 * - its Page tokens end when it does.
 *
 * https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens
 * https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
 */
import { z } from 'zod';
import { pkError } from '../errors.js';
import { isGraphError } from '../graph/graph-error.js';
import type { PageKeeperContext } from '../context.js';
import { discoverPages, type DiscoveredPage } from './discover-pages.js';
import type { TokenInspection, TokenKind } from '../core/types.js';

/** Token types connect takes: a person's user token or a system user's token. */
export const CONNECT_TOKEN_TYPES = ['USER', 'SYSTEM_USER'] as const;

/** Messaging is the point; listing Pages is needed only when they come from /me/accounts. */
export function systemUserRequiredScopes(pageIds: readonly string[]): string[] {
  return pageIds.length > 0 ? ['pages_messaging'] : ['pages_show_list', 'pages_messaging'];
}

export function tokenKindOf(inspection: TokenInspection): TokenKind {
  return inspection.type === 'SYSTEM_USER' ? 'system_user' : 'user';
}

/** @throws PK_TOKEN_NOT_SYSTEM_USER when the caller asked for a system user's token and got another. */
export function checkExpectedKind(inspection: TokenInspection, expected: TokenKind | undefined): void {
  if (expected === 'system_user' && inspection.isValid && tokenKindOf(inspection) !== 'system_user') {
    throw pkError('PK_TOKEN_NOT_SYSTEM_USER', { type: inspection.type ?? 'unknown' });
  }
}

const assignedPageSchema = z.object({ id: z.string(), name: z.string().optional(), category: z.string().optional(), access_token: z.string().min(1).optional() });

/**
 * The system user's Pages: /me/accounts, plus the named ones it leaves out. When /me/accounts is
 * refused (a 100 or permission error) the named Pages are all there is; with none named that is
 * PK_SYSTEM_USER_NO_PAGES, which says to name them.
 */
export async function discoverSystemUserPages(
  ctx: Pick<PageKeeperContext, 'graph'>,
  token: string,
  input: { userId: string; pageIds: readonly string[]; knownPageIds: readonly string[]; signal?: AbortSignal | undefined },
): Promise<DiscoveredPage[]> {
  let listed: DiscoveredPage[];
  try {
    listed = await discoverPages(ctx, token, { includeBusinessPages: false, ...(input.signal ? { signal: input.signal } : {}) });
  } catch (e) {
    if (!isGraphError(e) || (e.kind !== 'invalid_request' && e.kind !== 'permission')) throw e;
    if (input.pageIds.length + input.knownPageIds.length === 0) throw pkError('PK_SYSTEM_USER_NO_PAGES', { userId: input.userId }, { cause: e });
    listed = [];
  }
  return withAssignedPages(ctx, token, { ...input, discovered: listed });
}

/**
 * The Pages /me/accounts gave, plus each named Page it left out, read from the Page itself.
 * Facebook does not say the system user's tasks there: they stay empty (health then goes by the
 * pages_messaging grant alone). @throws PK_SYSTEM_USER_PAGE_UNAVAILABLE, PK_SYSTEM_USER_NO_PAGES
 */
export async function withAssignedPages(
  ctx: Pick<PageKeeperContext, 'graph'>,
  token: string,
  input: { userId: string; discovered: DiscoveredPage[]; pageIds: readonly string[]; knownPageIds?: readonly string[]; signal?: AbortSignal | undefined },
): Promise<DiscoveredPage[]> {
  const found = new Map(input.discovered.map((p) => [p.id, p]));
  const named = new Set(input.pageIds);
  for (const pageId of new Set([...input.pageIds, ...(input.knownPageIds ?? [])])) {
    if (found.has(pageId)) continue;
    // A Page it held before but can no longer get (unassigned since) is dropped, not an error:
    // it must not block the refresh of the others.
    const lenient = !named.has(pageId);
    let p: z.infer<typeof assignedPageSchema>;
    try {
      p = await ctx.graph.get(pageId, { fields: 'id,name,category,access_token' }, { token, schema: assignedPageSchema, signal: input.signal });
    } catch (e) {
      // Not assigned (Graph 100/33 or a permission error): say which Page and what to do.
      if (isGraphError(e) && (e.kind === 'invalid_request' || e.kind === 'permission')) {
        if (lenient) continue;
        throw pkError('PK_SYSTEM_USER_PAGE_UNAVAILABLE', { userId: input.userId, pageId, detail: e.detail }, { cause: e });
      }
      throw e;
    }
    if (p.access_token === undefined && lenient) continue;
    if (p.access_token === undefined) throw pkError('PK_SYSTEM_USER_PAGE_UNAVAILABLE', { userId: input.userId, pageId, detail: 'Facebook answered without an access_token for it' });
    found.set(pageId, { id: pageId, name: p.name ?? pageId, category: p.category ?? null, tasks: [], accessToken: p.access_token, source: 'assigned', instagram: null });
  }
  if (found.size === 0) throw pkError('PK_SYSTEM_USER_NO_PAGES', { userId: input.userId });
  return [...found.values()];
}
