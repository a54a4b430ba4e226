/**
 * The pure decision connect makes before it touches anything: is this inspected token a live
 * user token of this app with the permissions pagekeeper needs? Throws a PageKeeperError that
 * says what is wrong and how to fix it; returns nothing when the token is fit.
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging-and-error-handling
 */
import { pkError } from '../errors.js';
import type { TokenInspection, TokenType } from '../core/types.js';
import { describeInvalidReason } from './describe-invalid-reason.js';

/** Listing the Pages and messaging as them; without these connect is pointless. */
export const REQUIRED_SCOPES = ['pages_show_list', 'pages_messaging'] as const;

/** What the input token is judged against. */
export interface ConnectTokenCheck {
  appId: string;
  now: Date;
  /** Defaults to REQUIRED_SCOPES. */
  requiredScopes?: readonly string[];
  /** Named in messages: "short-lived user token" by default. */
  what?: string;
  /** Token types connect takes; default a person's user token only. */
  types?: readonly TokenType[];
}

/**
 * Throws the first reason the inspected token cannot be connected: PK_TOKEN_EXPIRED,
 * PK_TOKEN_INVALID, PK_TOKEN_WRONG_TYPE, PK_TOKEN_WRONG_APP or PK_TOKEN_MISSING_SCOPES.
 * https://developers.facebook.com/docs/graph-api/reference/debug_token/
 */
export function checkConnectToken(inspection: TokenInspection, options: ConnectTokenCheck): void {
  const what = options.what ?? 'user token';
  const expiredByClock = inspection.expiresAt !== null && inspection.expiresAt.getTime() <= options.now.getTime();
  if ((!inspection.isValid && inspection.error?.reason === 'expired') || expiredByClock) {
    const at = inspection.expiresAt ? ` (at ${inspection.expiresAt.toISOString()})` : '';
    throw pkError('PK_TOKEN_EXPIRED', { what, detail: at });
  }
  if (!inspection.isValid) {
    const d = describeInvalidReason(inspection.error?.reason ?? 'invalid');
    throw pkError('PK_TOKEN_INVALID', { what, reason: d.reason, fix: d.fix }, { details: { graphCode: inspection.error?.code, graphSubcode: inspection.error?.subcode } });
  }
  if (inspection.type === null || !(options.types ?? ['USER']).includes(inspection.type)) throw pkError('PK_TOKEN_WRONG_TYPE', { type: inspection.type ?? 'unknown' });
  if (inspection.appId !== options.appId) throw pkError('PK_TOKEN_WRONG_APP', { tokenAppId: inspection.appId ?? 'unknown', appId: options.appId });
  const granted = new Set(inspection.scopes);
  const missing = (options.requiredScopes ?? REQUIRED_SCOPES).filter((s) => !granted.has(s));
  if (missing.length > 0) throw pkError('PK_TOKEN_MISSING_SCOPES', { scopes: missing.join(', ') }, { details: { missing } });
}
