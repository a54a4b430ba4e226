/**
 * Plain words for why a token stopped working and what the person must do, one entry per
 * reason. The reasons come from the 190 subcodes (docs/graph-api.md "Error object";
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging).
 * Used by `check`, alerts, the CLI and the dashboard, so a person reads the same words everywhere.
 */
import type { TokenInvalidReason, TokenKind } from './types.js';

/** A token loss: Facebook's reasons, plus data access lapsing while the token itself is still valid. */
export type TokenLossReason = TokenInvalidReason | 'data_access_expired';

export interface LossDescription {
  /** A sentence: what happened. */
  reason: string;
  /** A sentence: what to do. */
  fix: string;
  /** A few words for lists and warnings ("password changed"). */
  short: string;
}

const RECONNECT = 'Ask them to reconnect: run `pagekeeper connect` or use the Connect button.';

export const TOKEN_LOSS_REASONS: Readonly<Record<TokenLossReason, LossDescription>> = {
  password_changed: {
    reason: 'The person who connected this Page changed their Facebook password (or Facebook reset their session for security)',
    fix: RECONNECT,
    short: 'password changed',
  },
  app_removed: {
    reason: 'The person who connected this Page removed the app from their Facebook settings',
    fix: 'Ask them to reconnect and allow the app again: run `pagekeeper connect` or use the Connect button.',
    short: 'app removed',
  },
  logged_out: {
    reason: 'The person who connected this Page logged out of Facebook, which ended the session the token came from',
    fix: RECONNECT,
    short: 'logged out',
  },
  checkpoint: {
    reason: 'Facebook locked the account of the person who connected this Page for a security check',
    fix: 'They must log in on facebook.com and complete the check, then reconnect: run `pagekeeper connect` or use the Connect button.',
    short: 'security checkpoint',
  },
  page_role_removed: {
    reason: 'The person who connected this Page no longer has a role on this Page',
    fix: 'Someone who manages the Page must connect: run `pagekeeper connect` or use the Connect button.',
    short: 'Page role removed',
  },
  expired: {
    reason: 'The token for this Page has expired',
    fix: 'Reconnect with a fresh login so pagekeeper can exchange it for a long-lived token: run `pagekeeper connect` or use the Connect button.',
    short: 'expired',
  },
  unconfirmed_user: {
    reason: 'The Facebook account of the person who connected this Page is not confirmed',
    fix: 'They must confirm their account on facebook.com (follow the email or text Facebook sent), then reconnect: run `pagekeeper connect` or use the Connect button.',
    short: 'account unconfirmed',
  },
  invalidated: {
    reason: 'The token for this Page was revoked (invalidated by an API call or by Facebook)',
    fix: RECONNECT,
    short: 'revoked',
  },
  invalid: {
    reason: 'Facebook no longer accepts the token for this Page and did not say why',
    fix: RECONNECT,
    short: 'no longer valid',
  },
  data_access_expired: {
    reason: "Facebook data access for this Page lapsed: the person who connected it has not used the app for 90 days",
    fix: 'They must open the app (log in with Facebook) or reconnect: run `pagekeeper connect` or use the Connect button.',
    short: 'data access lapsed',
  },
};

const SYSTEM_USER_RECONNECT =
  'An admin of the business must generate a new token for the system user (Business Settings > Users > System users > Generate new token) and connect it: run `pagekeeper connect --system-user`.';

/**
 * A system user has no password, session or checkpoint: its token is lost when the business
 * removes the app (Business Settings > Integrations > Connected apps, the only way to revoke a
 * Business Integration System User token), when it is revoked or regenerated in Business Settings,
 * when a 60-day token reaches its end, or when its Page is unassigned. Other reasons fall back to
 * the person's words.
 * https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
 * https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens
 */
export const SYSTEM_USER_LOSS_REASONS: Readonly<Partial<Record<TokenLossReason, LossDescription>>> = {
  app_removed: {
    reason: 'The business removed the app in Business Settings > Integrations > Connected apps, which revoked the system user token this Page was connected with',
    fix: 'An admin of the business must add the app again (Facebook Login for Business, or Business Settings > Users > System users > Add assets) and connect a new token: run `pagekeeper connect --system-user` or use the Connect button.',
    short: 'app removed by the business',
  },
  expired: {
    reason: "The system user's 60-day token for this Page reached its end and could not be refreshed in time",
    fix: SYSTEM_USER_RECONNECT,
    short: 'system user token expired',
  },
  invalidated: {
    reason: "The system user's token was revoked in Business Settings (or a new one was generated in its place)",
    fix: SYSTEM_USER_RECONNECT,
    short: 'system user token revoked',
  },
  invalid: {
    reason: "Facebook no longer accepts the system user's token for this Page and did not say why",
    fix: SYSTEM_USER_RECONNECT,
    short: 'system user token no longer valid',
  },
  page_role_removed: {
    reason: 'The Page is no longer assigned to the system user it was connected with',
    fix: 'Assign the Page to the system user again (Business Settings > Users > System users > Assign assets), then run `pagekeeper connect --system-user`.',
    short: 'Page unassigned from the system user',
  },
};

/** The plain-words reason, fix and short label for a token loss, for a person's or a system user's token. */
export function describeTokenLoss(reason: TokenLossReason, kind: TokenKind = 'user'): LossDescription {
  return (kind === 'system_user' ? SYSTEM_USER_LOSS_REASONS[reason] : undefined) ?? TOKEN_LOSS_REASONS[reason];
}
