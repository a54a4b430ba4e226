/**
 * One connected Page as every surface shows it: `pagekeeper pages`, `GET /v1/pages` and the
 * dashboard all build from this view, so they agree. Never holds a token.
 *
 * The one expiry rule: a Page's token expiry is `never` when any valid token of it never
 * expires (Page tokens from a long-lived user token do not:
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/),
 * else the latest expiry among its valid tokens, and null when none is valid. Data access ends
 * at the latest among valid tokens too: the Page keeps working until the last admin's lapses.
 */
import type { StoredSubscription } from '../store/subscription-repository.js';
import type { PageWithTokens, StoredPage, StoredPageToken } from '../store/types.js';
import { subscriptionSummary, type SubscriptionSummary } from '../subscriptions/subscription-summary.js';

/** One granting user's token for a page, without the token. */
export interface PageTokenView {
  userId: string;
  status: 'valid' | 'invalid';
  invalidReason: string | null;
  /** null: never expires. */
  expiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  messagingGranted: boolean;
  tasks: string[];
  lastCheckedAt: Date | null;
  /** A person's token or a system user's (Business Settings). */
  kind: 'user' | 'system_user';
}

/** The stored Page (health included) with what its tokens say, and the tokens' states. */
export interface PageView extends Omit<StoredPage, 'updatedAt'> {
  /** Tasks of the token in use (MANAGE, MESSAGING, ...); of the first token when none is valid. */
  tasks: string[];
  /** See the file comment: `never`, the latest valid expiry, or null when no token is valid. */
  tokenExpiresAt: Date | 'never' | null;
  dataAccessExpiresAt: Date | null;
  tokens: PageTokenView[];
  /** The app's webhook subscription to the Page, as last read or written by connect or a check. */
  subscription: SubscriptionSummary;
}

/** The token calls use: messaging granted first, then the oldest grant (as the token cache picks). */
export function tokenInUse<T extends Pick<StoredPageToken, 'status' | 'messagingGranted' | 'createdAt'>>(tokens: readonly T[]): T | undefined {
  return tokens
    .filter((t) => t.status === 'valid')
    .sort((a, b) => Number(b.messagingGranted) - Number(a.messagingGranted) || a.createdAt.getTime() - b.createdAt.getTime())[0];
}

const latest = (dates: ReadonlyArray<Date | null>): Date | null => dates.reduce<Date | null>((acc, d) => (d && (!acc || d > acc) ? d : acc), null);

export function toPageView(p: PageWithTokens, sub: StoredSubscription | undefined): PageView {
  const valid = p.tokens.filter((t) => t.status === 'valid');
  const never = valid.some((t) => t.expiresAt === null);
  const { updatedAt: _updatedAt, tokens: _tokens, ...page } = p;
  return {
    ...page,
    tasks: (tokenInUse(p.tokens) ?? p.tokens[0])?.tasks ?? [],
    tokenExpiresAt: valid.length === 0 ? null : never ? 'never' : latest(valid.map((t) => t.expiresAt)),
    dataAccessExpiresAt: latest(valid.map((t) => t.dataAccessExpiresAt)),
    tokens: p.tokens.map((t) => ({
      userId: t.userId,
      status: t.status,
      invalidReason: t.invalidReason,
      expiresAt: t.expiresAt,
      dataAccessExpiresAt: t.dataAccessExpiresAt,
      messagingGranted: t.messagingGranted,
      tasks: t.tasks,
      lastCheckedAt: t.lastCheckedAt,
      kind: t.tokenKind,
    })),
    subscription: subscriptionSummary(sub),
  };
}
