/**
 * The health of one connected Page from what is known about each of its tokens (one per
 * person who connected it), decided as a pure function so `check`, the reactive invalidation
 * path and the dashboard agree:
 *
 * 1. no usable token left                                    -> needs_reauth (the most telling loss, in plain words)
 * 2. usable tokens, none may send Messenger messages here   -> missing_permission
 *    (pages_messaging granted for this Page in granular_scopes, and the MESSAGING task)
 * 3. the best token's access ends within the window         -> expiring
 * 4. otherwise                                               -> healthy, with a warning when some tokens are lost
 */
import type { PageStatus, TokenInspection, TokenInvalidReason, TokenKind } from '../core/types.js';
import { describeTokenLoss, type TokenLossReason } from '../core/reasons.js';

export const DEFAULT_EXPIRING_WINDOW_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;
const MESSAGING_SCOPE = 'pages_messaging';
const MESSAGING_TASK = 'MESSAGING';

export interface PageTokenFacts {
  /** The Facebook user who granted this token. */
  userId: string;
  /** The latest debug_token result; null when the token has not been checked yet. */
  inspection: TokenInspection | null;
  /** The person's tasks on the Page, from /me/accounts. */
  tasks: string[];
  storedStatus: 'valid' | 'invalid';
  storedReason: TokenInvalidReason | null;
  /** When the token was marked invalid; the most recent loss is reported first. */
  invalidatedAt?: Date | null;
  /** Whose token the Page token came from; default a person's. */
  kind?: TokenKind;
}

export interface ClassifyPageHealthInput {
  pageId: string;
  tokens: PageTokenFacts[];
  now: Date;
  expiringWindowDays?: number;
  /** When each person's long-lived user token ends (null: never or unknown), by user id. */
  userTokenExpiresAt?: Record<string, Date | null>;
}

export interface PageHealth {
  status: PageStatus;
  /** What is wrong, for people; null when healthy. */
  reason: string | null;
  /** What the person must do; null when healthy. */
  fix: string | null;
  /** Something to know although the Page works (some of its tokens are lost). */
  warning: string | null;
  /** For programs and alerts: the loss behind needs_reauth. */
  reasonCode: TokenLossReason | null;
  lostTokens: number;
  validTokens: number;
}

/** Why this token can no longer be used, or null when it can. */
function lossOf(t: PageTokenFacts, now: Date): TokenLossReason | null {
  const inspected = t.inspection;
  const inspectedReason = inspected && !inspected.isValid ? (inspected.error?.reason ?? 'invalid') : null;
  if (t.storedStatus === 'invalid') {
    // The stored reason may be the generic one from a failing call; a later inspection can say more.
    const stored = t.storedReason ?? 'invalid';
    return stored === 'invalid' && inspectedReason !== null ? inspectedReason : stored;
  }
  if (inspectedReason !== null) return inspectedReason;
  if (inspected?.expiresAt && inspected.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (inspected?.dataAccessExpiresAt && inspected.dataAccessExpiresAt.getTime() <= now.getTime()) return 'data_access_expired';
  return null;
}

function hasMessagingScope(inspection: TokenInspection | null, pageId: string): boolean {
  // Not yet inspected: the grant was checked when the token was stored; the next sweep will tell.
  if (inspection === null) return true;
  const granular = inspection.granularScopes.filter((g) => g.scope === MESSAGING_SCOPE);
  // target_ids is omitted (null) when a grant is not limited to some Pages (docs/graph-api.md "Inspecting a token: debug_token").
  if (granular.length > 0) return granular.some((g) => g.targetIds === null || g.targetIds.includes(pageId));
  // No per-Page detail for pages_messaging: the plain grant is all there is to go by.
  return inspection.scopes.includes(MESSAGING_SCOPE);
}

function hasMessagingTask(t: PageTokenFacts): boolean {
  // A system user's Page read from the Page itself comes without tasks (tokens/system-user.ts):
  // unknown is not missing; the pages_messaging grant and the first send will tell.
  if (t.kind === 'system_user' && t.tasks.length === 0) return true;
  return t.tasks.includes(MESSAGING_TASK);
}

/** Losses ranked: a specific reason says more than the generic one; then the most recent first. */
function mostTelling(lost: Array<{ token: PageTokenFacts; loss: TokenLossReason }>): { token: PageTokenFacts; loss: TokenLossReason } {
  const sorted = [...lost].sort((a, b) => {
    const specific = Number(b.loss !== 'invalid') - Number(a.loss !== 'invalid');
    if (specific !== 0) return specific;
    return (b.token.invalidatedAt?.getTime() ?? 0) - (a.token.invalidatedAt?.getTime() ?? 0);
  });
  return sorted[0]!;
}

type AccessEnd = { at: Date; what: 'data_access' | 'token' | 'user_token' | 'system_user_token' } | null;

/** When this token stops being usable, whichever comes first; null when nothing ends it. */
function accessEnd(t: PageTokenFacts, userTokenExpiresAt: Record<string, Date | null> | undefined): AccessEnd {
  const candidates: Array<NonNullable<AccessEnd>> = [];
  if (t.inspection?.dataAccessExpiresAt) candidates.push({ at: t.inspection.dataAccessExpiresAt, what: 'data_access' });
  // A system user's Page token ends with the system user's 60-day token, which pagekeeper refreshes.
  if (t.inspection?.expiresAt) candidates.push({ at: t.inspection.expiresAt, what: t.kind === 'system_user' ? 'system_user_token' : 'token' });
  // A Page token taken from a long-lived user token does not expire with it (debug_token
  // expires_at 0; docs/graph-api.md "Page tokens"), so the user token's end only matters for a Page
  // token that has an end of its own.
  const user = userTokenExpiresAt?.[t.userId];
  if (user && t.inspection?.expiresAt) candidates.push({ at: user, what: 'user_token' });
  candidates.sort((a, b) => a.at.getTime() - b.at.getTime());
  return candidates[0] ?? null;
}

function later(a: AccessEnd, b: AccessEnd): AccessEnd {
  if (a === null || b === null) return null;
  return a.at.getTime() >= b.at.getTime() ? a : b;
}

function when(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const date = at.toISOString().slice(0, 10);
  if (ms <= 0) return `on ${date} (already passed)`;
  if (ms < DAY_MS) return `on ${date} (in less than a day)`;
  const days = Math.floor(ms / DAY_MS);
  return `on ${date} (in ${days} day${days === 1 ? '' : 's'})`;
}

function expiringWords(end: NonNullable<AccessEnd>, now: Date): { reason: string; fix: string } {
  const at = when(end.at, now);
  switch (end.what) {
    case 'data_access':
      return {
        reason: `Facebook data access for this Page ends ${at}, 90 days after the person who connected it last used the app`,
        fix: 'The person who connected this Page should open the app (log in with Facebook once) or reconnect with `pagekeeper connect` to refresh data access.',
      };
    case 'token':
      return {
        reason: `The token for this Page expires ${at}`,
        fix: 'Reconnect with `pagekeeper connect` (or the Connect button) so pagekeeper can store a token that does not expire.',
      };
    case 'system_user_token':
      return {
        reason: `The system user token this Page was connected with ends ${at}, and pagekeeper has not refreshed it yet`,
        fix: 'pagekeeper refreshes 60-day system user tokens in its scheduled health checks (`pagekeeper serve` or `pagekeeper check --watch`); if this stays, generate a new token in Business Settings > Users > System users and run `pagekeeper connect --system-user`.',
      };
    case 'user_token':
      return {
        reason: `The user token of the person who connected this Page ends ${at} and nothing replaces it`,
        fix: 'The person who connected this Page should reconnect with `pagekeeper connect` or the Connect button before then.',
      };
  }
}

function missingPermissionWords(valid: PageTokenFacts[], pageId: string): { reason: string; fix: string } {
  const anyScope = valid.some((t) => hasMessagingScope(t.inspection, pageId));
  const anyTask = valid.some(hasMessagingTask);
  if (!anyScope) {
    return {
      reason: `The pages_messaging permission is not granted for this Page, so it cannot send Messenger messages`,
      fix: 'Reconnect and, in the Facebook Login dialog, keep this Page selected and pages_messaging allowed: run `pagekeeper connect` or use the Connect button.',
    };
  }
  if (!anyTask) {
    return {
      reason: 'The person who connected this Page can no longer manage its messages (the MESSAGING task is gone)',
      fix: "Someone who manages the Page must give them Messages access in the Page's settings, or a person who has it must connect.",
    };
  }
  return {
    reason: 'No one who connected this Page has both the pages_messaging permission for it and the MESSAGING task on it',
    fix: "Reconnect with someone who manages the Page's messages, allowing pages_messaging for this Page: run `pagekeeper connect` or use the Connect button.",
  };
}

function lossWarning(lost: Array<{ token: PageTokenFacts; loss: TokenLossReason }>, total: number): string | null {
  if (lost.length === 0) return null;
  const labels = [...new Set(lost.map((l) => describeTokenLoss(l.loss, l.token.kind).short))].join(', ');
  const verb = lost.length === 1 ? 'is' : 'are';
  return `${lost.length} of ${total} tokens for this Page ${verb} no longer valid (${labels})`;
}

/** Classifies one Page; see the rules at the top of the file. */
export function classifyPageHealth(input: ClassifyPageHealthInput): PageHealth {
  const { pageId, tokens, now } = input;
  const windowMs = (input.expiringWindowDays ?? DEFAULT_EXPIRING_WINDOW_DAYS) * DAY_MS;

  const lost: Array<{ token: PageTokenFacts; loss: TokenLossReason }> = [];
  const valid: PageTokenFacts[] = [];
  for (const token of tokens) {
    const loss = lossOf(token, now);
    if (loss === null) valid.push(token);
    else lost.push({ token, loss });
  }
  const counts = { lostTokens: lost.length, validTokens: valid.length };

  if (valid.length === 0) {
    if (lost.length === 0) {
      return {
        status: 'needs_reauth',
        reason: 'No token is stored for this Page',
        fix: 'Someone who manages the Page must connect: run `pagekeeper connect` or use the Connect button.',
        warning: null,
        reasonCode: null,
        ...counts,
      };
    }
    const chosen = mostTelling(lost);
    const words = describeTokenLoss(chosen.loss, chosen.token.kind);
    return { status: 'needs_reauth', reason: words.reason, fix: words.fix, warning: null, reasonCode: chosen.loss, ...counts };
  }

  const warning = lossWarning(lost, tokens.length);
  const capable = valid.filter((t) => hasMessagingScope(t.inspection, pageId) && hasMessagingTask(t));
  if (capable.length === 0) {
    return { status: 'missing_permission', ...missingPermissionWords(valid, pageId), warning, reasonCode: null, ...counts };
  }

  // The Page keeps working as long as its best token does, so the latest end counts.
  const end = capable.map((t) => accessEnd(t, input.userTokenExpiresAt)).reduce(later);
  if (end !== null && end.at.getTime() - now.getTime() <= windowMs) {
    return { status: 'expiring', ...expiringWords(end, now), warning, reasonCode: null, ...counts };
  }
  return { status: 'healthy', reason: null, fix: null, warning, reasonCode: null, ...counts };
}
