import { pkError } from '../errors.js';
import type { DiscoveredPage } from './discover-pages.js';
import type { TokenInspection } from '../core/types.js';

/**
 * A Page token worth storing is valid, is a PAGE token for this Page, and never expires
 * (debug_token `expires_at: 0`). One that expires came from a short-lived user token: storing it
 * would defeat the point (docs/graph-api.md "Page tokens").
 */
export function verifyPageToken(page: Pick<DiscoveredPage, 'id'>, inspection: TokenInspection, options: { grantorExpiresAt?: Date | null } = {}): TokenInspection {
  if (!inspection.isValid) {
    throw pkError('PK_TOKEN_INVALID', { what: `token for page ${page.id}`, reason: inspection.error?.message ?? 'Facebook says it is not valid', fix: 'Connect again.' });
  }
  if (inspection.type !== 'PAGE' || (inspection.profileId !== null && inspection.profileId !== page.id)) {
    throw pkError('PK_TOKEN_INVALID', { what: `token for page ${page.id}`, reason: `debug_token describes a ${inspection.type ?? 'unknown'} token for ${inspection.profileId ?? 'no page'}`, fix: 'Connect again.' });
  }
  // A system user's token that lasts 60 days hands out Page tokens that end with it: those are
  // kept, and refreshed with it (health/refresh-system-user-tokens.ts).
  const inherited = options.grantorExpiresAt !== undefined && options.grantorExpiresAt !== null;
  if (inspection.expiresAt !== null && !inherited) {
    throw pkError('PK_PAGE_TOKEN_EXPIRES', { pageId: page.id, detail: `debug_token says it expires at ${inspection.expiresAt.toISOString()}` });
  }
  return inspection;
}
