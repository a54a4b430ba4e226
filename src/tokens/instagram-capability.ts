/**
 * Can pagekeeper message this Page's Instagram inbox? A pure judgement over what connect stored
 * (the linked account) and what debug_token says of the Page token's scopes. Instagram messaging
 * through a Page needs `instagram_basic` (without it Facebook hides the linked account) and
 * `instagram_manage_messages` (https://developers.facebook.com/docs/messenger-platform/instagram/get-started).
 */
import type { InstagramLink } from '../store/instagram-repository.js';
import type { TokenInspection } from '../core/types.js';

export const INSTAGRAM_SCOPES = ['instagram_basic', 'instagram_manage_messages'] as const;

export type InstagramMessaging = 'ok' | 'missing_permission' | 'not_linked';

/** What `pagekeeper pages --json` and `GET /v1/pages[/{id}]` show as `instagram`. */
export interface InstagramView {
  id: string | null;
  username: string | null;
  messaging: InstagramMessaging;
  reason?: string;
  fix?: string;
}

const RECONNECT_FIX =
  'Set PAGEKEEPER_INSTAGRAM=true so the Login dialog asks for instagram_basic and instagram_manage_messages, then connect again (pagekeeper connect --browser). ' +
  'For people without a role on the app both permissions need Advanced Access (App Review); see docs/instagram.md.';
const LINK_FIX =
  "Link the Instagram professional account to the Page (Instagram app: Settings > Account type and tools, or the Page's settings > Linked accounts > Instagram), then run pagekeeper connect again.";

/**
 * Which Instagram scopes the token carries for the account: a granular scope without
 * `target_ids` covers every account, one with `target_ids` only those listed; with no granular
 * scopes at all, the plain scope list decides.
 */
export function instagramScopesFor(inspection: Pick<TokenInspection, 'scopes' | 'granularScopes'>, igId: string | null): string[] {
  return INSTAGRAM_SCOPES.filter((scope) => {
    const grant = inspection.granularScopes.find((g) => g.scope === scope);
    if (grant) return grant.targetIds === null || igId === null || grant.targetIds.includes(igId);
    if (inspection.granularScopes.length > 0) return false;
    return inspection.scopes.includes(scope);
  });
}

export function judgeInstagram(link: InstagramLink | undefined): InstagramView {
  const scopes = link?.scopes ?? [];
  const missing = INSTAGRAM_SCOPES.filter((s) => !scopes.includes(s));
  if (!link || link.igId === null) {
    if (missing.includes('instagram_basic')) {
      return {
        id: null,
        username: null,
        messaging: 'missing_permission',
        reason: "The Page's token lacks instagram_basic, so Facebook does not show which Instagram account is linked to the Page",
        fix: RECONNECT_FIX,
      };
    }
    return { id: null, username: null, messaging: 'not_linked', reason: 'No Instagram professional account is linked to this Page', fix: LINK_FIX };
  }
  const base = { id: link.igId, username: link.username };
  if (missing.length > 0) {
    return { ...base, messaging: 'missing_permission', reason: `The Page's token lacks ${missing.join(' and ')}, which Instagram messaging needs`, fix: RECONNECT_FIX };
  }
  return { ...base, messaging: 'ok' };
}
