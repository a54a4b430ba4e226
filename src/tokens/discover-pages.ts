/**
 * Step 3: every Page the user can act for, with its Page token. All of /me/accounts, following
 * `paging.next` with a large limit (reading only the first 25 is a classic bug), plus, when the
 * user granted `business_management`, the Pages reachable only through a Business Manager:
 * /me/businesses -> /{business-id}/owned_pages and /client_pages
 * (https://developers.facebook.com/docs/pages-api/overview#get-page-access-tokens;
 * docs/graph-api.md "Page tokens"). De-duplicated by Page id, /me/accounts first.
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
  /** The linked Instagram professional account; null when Facebook showed none. */
  instagram: { id: string; username: string | null; link: 'business' | 'connected' } | null;
}

/**
 * The Page fields naming its linked Instagram account, read in the same list calls:
 * `instagram_business_account` (linked during the business conversion) and
 * `connected_instagram_account` (connected in the Page's settings). Facebook leaves them out
 * when the token lacks instagram_basic (https://developers.facebook.com/docs/graph-api/reference/page/,
 * https://developers.facebook.com/docs/messenger-platform/instagram/get-started).
 */
export const INSTAGRAM_FIELDS = 'instagram_business_account{id,username},connected_instagram_account{id,username}';
const PAGE_FIELDS = `id,name,category,tasks,access_token,${INSTAGRAM_FIELDS}`;

const igAccount = z.object({ id: z.union([z.string(), z.number()]).transform(String), username: z.string().optional() }).optional();
const instagramFields = { instagram_business_account: igAccount, connected_instagram_account: igAccount };

/** The linked account from a Page item; the business one wins when both are given. */
export function instagramOf(p: { instagram_business_account?: { id: string; username?: string | undefined } | undefined; connected_instagram_account?: { id: string; username?: string | undefined } | undefined }): DiscoveredPage['instagram'] {
  const b = p.instagram_business_account;
  if (b) return { id: b.id, username: b.username ?? p.connected_instagram_account?.username ?? null, link: 'business' };
  const c = p.connected_instagram_account;
  return c ? { id: c.id, username: c.username ?? null, link: 'connected' } : null;
}

const businessPageWithTasks = businessPageSchema.extend({ tasks: z.array(z.string()).optional(), category: z.string().optional(), ...instagramFields });
const accountWithInstagram = pageAccountSchema.extend(instagramFields);

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

  for await (const p of ctx.graph.paginate('me/accounts', { fields: PAGE_FIELDS, limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: accountWithInstagram })) {
    if (!found.has(p.id)) found.set(p.id, { id: p.id, name: p.name, category: p.category ?? null, tasks: p.tasks ?? [], accessToken: p.access_token, source: 'accounts', instagram: instagramOf(p) });
  }
  if (!options.includeBusinessPages) return [...found.values()];

  const businesses: string[] = [];
  for await (const b of ctx.graph.paginate('me/businesses', { fields: 'id,name', limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: businessSchema })) businesses.push(b.id);
  for (const businessId of businesses) {
    for (const edge of ['owned_pages', 'client_pages'] as const) {
      const pages = ctx.graph.paginate(`${businessId}/${edge}`, { fields: PAGE_FIELDS, limit: DISCOVERY_PAGE_LIMIT }, { ...call, itemSchema: businessPageWithTasks });
      for await (const p of pages) {
        if (found.has(p.id)) continue;
        // A business edge may leave the token out; the Page itself hands it to an admin.
        const accessToken = p.access_token ?? (await ctx.graph.get(p.id, { fields: 'access_token' }, { ...call, schema: pageTokenSchema })).access_token;
        found.set(p.id, { id: p.id, name: p.name ?? p.id, category: p.category ?? null, tasks: p.tasks ?? [], accessToken, source: 'business', instagram: instagramOf(p) });
      }
    }
  }
  return [...found.values()];
}
