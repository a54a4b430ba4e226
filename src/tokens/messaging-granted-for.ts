import type { TokenInspection } from '../core/types.js';

/**
 * Whether `pages_messaging` covers this Page: a granular scope without `target_ids` covers every
 * Page, one with `target_ids` only those listed (docs/graph-api.md "Inspecting a token: debug_token"). With
 * no granular scopes at all, the plain scope list decides.
 */
export function messagingGrantedFor(inspection: Pick<TokenInspection, 'scopes' | 'granularScopes'>, pageId: string): boolean {
  const grant = inspection.granularScopes.find((g) => g.scope === 'pages_messaging');
  if (grant) return grant.targetIds === null || grant.targetIds.includes(pageId);
  if (inspection.granularScopes.length > 0) return false;
  return inspection.scopes.includes('pages_messaging');
}
