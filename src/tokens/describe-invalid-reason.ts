import type { TokenInvalidReason } from '../core/types.js';

/**
 * Plain words for why Facebook refuses the token someone is connecting with right now (the 190
 * subcodes in docs/graph-api.md "Error object"), addressed to that person. Stored Page tokens
 * that stop working are described by core/reasons.ts, addressed to whoever runs pagekeeper.
 */
const REASONS: Readonly<Record<TokenInvalidReason, { reason: string; fix: string }>> = {
  expired: { reason: 'the token expired', fix: 'Connect again with a fresh token (`pagekeeper connect`).' },
  password_changed: {
    reason: 'the person changed their Facebook password (or Facebook reset the session for security)',
    fix: 'Ask them to log in to Facebook and connect again (`pagekeeper connect`).',
  },
  app_removed: { reason: 'the person removed the app from their Facebook account', fix: 'Ask them to connect again and accept the app (`pagekeeper connect --browser`).' },
  logged_out: { reason: 'the person logged out of Facebook, which ended the session', fix: 'Ask them to log in and connect again (`pagekeeper connect`).' },
  checkpoint: {
    reason: 'Facebook put the account through a security checkpoint',
    fix: 'Ask them to log in on facebook.com and complete the checkpoint, then connect again.',
  },
  page_role_removed: { reason: 'the person no longer has a role on this Page', fix: 'Connect a person who still manages the Page, or give them back their Page role and connect again.' },
  unconfirmed_user: { reason: 'the Facebook account is not confirmed', fix: 'Ask them to confirm their account on facebook.com, then connect again.' },
  invalidated: { reason: 'the token was revoked through the API', fix: 'Connect again (`pagekeeper connect`).' },
  invalid: { reason: 'Facebook no longer accepts the token', fix: 'Connect again with a fresh token (`pagekeeper connect`).' },
};

/** Plain words and a fix for a refused input token. */
export function describeInvalidReason(reason: TokenInvalidReason): { reason: string; fix: string } {
  return REASONS[reason];
}
