import type { TokenInspection, TokenType } from '../core/types.js';
import { tokenReasonFromSubcode } from './graph-error.js';
import type { DebugTokenData } from './schemas.js';

const TOKEN_TYPES: ReadonlySet<string> = new Set(['USER', 'PAGE', 'APP', 'SYSTEM_USER']);

/**
 * A system user's token says `SYSTEM_USER` (Meta's debug_token example for a Business Settings
 * token). What a Business Integration System User token from Facebook Login for Business says is
 * not documented; any type naming a system user is read as one.
 * https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
 */
function tokenTypeOf(type: string | undefined): TokenType | null {
  if (type === undefined) return null;
  if (TOKEN_TYPES.has(type)) return type as TokenType;
  return /SYSTEM_USER/i.test(type) ? 'SYSTEM_USER' : null;
}

function fromSeconds(s: number | undefined): Date | null {
  return s === undefined || s === 0 ? null : new Date(s * 1000);
}

/**
 * Processes debug_token's `data` into the domain form. `expires_at: 0` means the token never
 * expires and becomes `null`, and so does `data_access_expires_at: 0` (a system user has no
 * data-access window) (docs/graph-api.md "Inspecting a token: debug_token";
 * https://developers.facebook.com/docs/graph-api/reference/debug_token/).
 */
export function toTokenInspection(data: DebugTokenData): TokenInspection {
  const error = 'error' in data && data.error ? data.error : null;
  return {
    isValid: data.is_valid,
    type: tokenTypeOf(data.type),
    appId: data.app_id ?? null,
    application: data.application ?? null,
    userId: data.user_id ?? null,
    profileId: data.profile_id ?? null,
    expiresAt: fromSeconds(data.expires_at),
    issuedAt: fromSeconds(data.issued_at),
    dataAccessExpiresAt: fromSeconds(data.data_access_expires_at),
    scopes: data.scopes ?? [],
    granularScopes: (data.granular_scopes ?? []).map((g) => ({ scope: g.scope, targetIds: g.target_ids ?? null })),
    error: error
      ? { code: error.code, subcode: error.subcode ?? null, message: error.message, reason: tokenReasonFromSubcode(error.subcode) }
      : data.is_valid
        ? null
        : { code: 190, subcode: null, message: 'The token is not valid', reason: 'invalid' },
  };
}
