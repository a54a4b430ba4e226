/**
 * Domain types of the token flow, shared by the Graph client, the store, the health checks
 * and the service. Wire names (access_token, expires_in) stay in the Graph layer; these are
 * the processed, camelCase forms.
 */

/**
 * debug_token's `type`. `SYSTEM_USER` is a system user's token (Business Settings > System Users,
 * or a Business Integration System User token from Facebook Login for Business)
 * (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens).
 */
export type TokenType = 'USER' | 'PAGE' | 'APP' | 'SYSTEM_USER';

/** Whose token a connection holds: a person's user token or a system user's token. */
export type TokenKind = 'user' | 'system_user';

/** Why Facebook says a token is no longer usable, from the 190 subcode (docs/graph-api.md "Error object"). */
export type TokenInvalidReason =
  | 'expired' // 463
  | 'password_changed' // 460
  | 'app_removed' // 458
  | 'logged_out' // 467
  | 'checkpoint' // 459
  | 'page_role_removed' // 492
  | 'unconfirmed_user' // 464
  | 'invalidated' // 466
  | 'invalid'; // no or unknown subcode

/** A granted permission, limited to some Pages when `targetIds` is not null. */
export interface GranularScope {
  scope: string;
  targetIds: string[] | null;
}

/** What debug_token says about one token, processed. */
export interface TokenInspection {
  isValid: boolean;
  type: TokenType | null;
  appId: string | null;
  application: string | null;
  userId: string | null;
  /** The Page id for Page tokens. */
  profileId: string | null;
  /** null means the token never expires (debug_token `expires_at: 0`). */
  expiresAt: Date | null;
  issuedAt: Date | null;
  /** When data access lapses (90 days after the user was last active); null when not given. */
  dataAccessExpiresAt: Date | null;
  scopes: string[];
  granularScopes: GranularScope[];
  /** Present when the token is invalid. */
  error: { code: number; subcode: number | null; message: string; reason: TokenInvalidReason } | null;
}

/** Health of a connected Page, as `check` reports it. */
export type PageStatus = 'healthy' | 'expiring' | 'needs_reauth' | 'missing_permission';
