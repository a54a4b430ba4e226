/**
 * Step 3: every Page the user can act for, with its Page token. All of /me/accounts, following
 * `paging.next` with a large limit (reading only the first 25 is a classic bug), plus, when the
 * user granted `business_management`, the Pages reachable only through a Business Manager:
 * /me/businesses -> /{business-id}/owned_pages and /client_pages
 * (https://developers.facebook.com/docs/pages-api/overview#get-page-access-tokens;
 * graph-api-notes.md "Step 3"). De-duplicated by Page id, /me/accounts first.
 */
import { z } from 'zod';
import { businessPageSchema, businessSchema, pageAccountSchema, pageTokenSchema } from '../graph/schemas.js';
import type { PageKeeperContext } from '../context.js';

/** Page size for every list call: 500 Pages in 5 calls instead of 20 at Graph's default 25. */
export const DISCOVERY_PAGE_LIMIT = 100;

/** A Page found for the user, with its (secret) Page token. */
export interface DiscoveredPage {
  id: string;
  name: string;
  category: string | null;
  /** The user's tasks on the Page (MANAGE, MESSAGING, ...); empty when Facebook did not say. */
  tasks: string[];
  /** Never log it. */
  accessToken: string;
  /** `assigned`: read from the Page itself for a system user (`GET /{page-id}?fields=access_token`). */
  source: 'accounts' | 'business' | 'assigned';
}

const businessPageWithTasks = businessPageSchema.extend({ tasks: z.array(z.string()).optional(), category: z.string().optional() });

/**
 * Every Page of the user, de-duplicated.
 * https://developers.facebook.com/docs/graph-api/reference/user/accounts/
 */
export async function discoverPages(
  ctx: Pick<PageKeeperContext, 'graph'>,
  userToken: string,
  options: { includeBusinessPages: boolean; signal?: AbortSignal },
): Promise<DiscoveredPage[]> {
  const found = new Map<string, DiscoveredPage>();
  const call = { token: userToken, signal: options.signal };

  for await (const p of ctx.graph.paginate('me/accounts', { fields: 'id,name,category,tasks,access_token', limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: pageAccountSchema })) {
    if (!found.has(p.id)) found.set(p.id, { id: p.id, name: p.name, category: p.category ?? null, tasks: p.tasks ?? [], accessToken: p.access_token, source: 'accounts' });
  }
  if (!options.includeBusinessPages) return [...found.values()];

  const businesses: string[] = [];
  for await (const b of ctx.graph.paginate('me/businesses', { fields: 'id,name', limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: businessSchema })) businesses.push(b.id);
  for (const businessId of businesses) {
    for (const edge of ['owned_pages', 'client_pages'] as const) {
      const pages = ctx.graph.paginate(`${businessId}/${edge}`, { fields: 'id,name,category,tasks,access_token', limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: businessPageWithTasks });
      for await (const p of pages) {
        if (found.has(p.id)) continue;
        // A business edge may leave the token out; the Page itself hands it to an admin.
        const accessToken = p.access_token ?? (await ctx.graph.get(p.id, { fields: 'access_token' }, { ...call, schema: pageTokenSchema })).access_token;
        found.set(p.id, { id: p.id, name: p.name ?? p.id, category: p.category ?? null, tasks: p.tasks ?? [], accessToken, source: 'business' });
      }
    }
  }
  return [...found.values()];
}
