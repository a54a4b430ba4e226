import type { PageStatus, TokenInvalidReason, TokenKind } from '../core/types.js';

/** Domain shapes of stored rows (camelCase, Dates, parsed JSON). Tokens appear only where named. */

export type StoredTokenStatus = 'valid' | 'invalid';

/** A connected Facebook user, without the token. */
export interface StoredUser {
  id: string;
  name: string;
  tokenKeyId: string;
  /** null when the long-lived user token has no known end. */
  tokenExpiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  scopes: string[];
  status: StoredTokenStatus;
  invalidReason: TokenInvalidReason | null;
  /** A person's user token or a system user's token. */
  tokenKind: TokenKind;
  connectedAt: Date;
  updatedAt: Date;
}

export interface StoredUserWithToken extends StoredUser {
  /** The decrypted long-lived user token. Never log it. */
  token: string;
}

export interface UserInput {
  id: string;
  name: string;
  /** Plaintext long-lived user token; stored encrypted. */
  token: string;
  tokenExpiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  scopes: string[];
  /** Default `user`. */
  tokenKind?: TokenKind;
}

export interface StoredPage {
  id: string;
  name: string;
  category: string | null;
  status: PageStatus;
  reason: string | null;
  fix: string | null;
  warning: string | null;
  lastCheckedAt: Date | null;
  connectedAt: Date;
  updatedAt: Date;
  /** Set when no connected user grants the page any more. */
  removedAt: Date | null;
}

export interface PageInput {
  id: string;
  name: string;
  category?: string | null;
}

/** What `pages.setStatus` writes; `lastCheckedAt` left out keeps the stored value. */
export interface PageStatusUpdate {
  status: PageStatus;
  reason?: string | null;
  fix?: string | null;
  warning?: string | null;
  lastCheckedAt?: Date | null;
}

/** One page token's state (one per page and granting user), without the token. */
export interface StoredPageToken {
  pageId: string;
  userId: string;
  keyId: string;
  tasks: string[];
  status: StoredTokenStatus;
  invalidReason: TokenInvalidReason | null;
  invalidSubcode: number | null;
  /** null means the token never expires. */
  expiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  messagingGranted: boolean;
  /** The kind of token the Page token came from (its grantor's). */
  tokenKind: TokenKind;
  lastCheckedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredPageTokenWithToken extends StoredPageToken {
  /** The decrypted Page token. Never log it. */
  token: string;
}

export interface PageTokenInput {
  pageId: string;
  userId: string;
  /** Plaintext Page token; stored encrypted, bound to (pageId, userId). */
  token: string;
  tasks: string[];
  /** null = never expires (the goal). */
  expiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  messagingGranted: boolean;
  /** The grantor's token kind; default `user`. */
  tokenKind?: TokenKind;
}

/** What a health check learnt about one token (all optional: only given fields are written). */
export interface PageTokenCheck {
  tasks?: string[];
  expiresAt?: Date | null;
  dataAccessExpiresAt?: Date | null;
  messagingGranted?: boolean;
  checkedAt?: Date;
}

export interface PageWithTokens extends StoredPage {
  tokens: StoredPageToken[];
}

export interface AuditEntry {
  id: number;
  at: Date;
  /** e.g. `token_invalidated`, `page_status_changed`, `user_connected`. */
  event: string;
  pageId: string | null;
  userId: string | null;
  oldState: string | null;
  newState: string | null;
  reason: string | null;
  /** Secret-free facts (Graph code, subcode, counts). */
  detail: Record<string, unknown> | null;
}

export type AuditInput = Omit<Partial<AuditEntry>, 'id' | 'event'> & { event: string };
