/**
 * A Page's health from what is stored about its tokens, without a Graph call: right after
 * connect (every token was just verified) and when a reconnect drops one admin's grant. The
 * decision itself is classifyPageHealth's; this only rebuilds its input from stored rows.
 */
import { classifyPageHealth, type PageHealth, type PageTokenFacts } from './classify-page-health.js';
import type { StoredPageToken } from '../store/types.js';
import type { TokenInspection } from '../core/types.js';

const DAY_MS = 24 * 3600 * 1000;

/** What the last inspection recorded, as an inspection (the scopes that matter for health). */
export function storedInspection(t: StoredPageToken): TokenInspection {
  return {
    isValid: t.status === 'valid',
    type: 'PAGE',
    appId: null,
    application: null,
    userId: t.userId,
    profileId: t.pageId,
    expiresAt: t.expiresAt,
    issuedAt: null,
    dataAccessExpiresAt: t.dataAccessExpiresAt,
    scopes: t.messagingGranted ? ['pages_messaging'] : [],
    granularScopes: t.messagingGranted ? [{ scope: 'pages_messaging', targetIds: [t.pageId] }] : [],
    error: t.status === 'invalid' ? { code: 190, subcode: t.invalidSubcode, message: 'stored as invalid', reason: t.invalidReason ?? 'invalid' } : null,
  };
}

/** classifyPageHealth's input for one stored token; a fresh inspection wins over the stored one. */
export function factsFromStored(t: StoredPageToken, inspection?: TokenInspection | null): PageTokenFacts {
  return {
    userId: t.userId,
    inspection: inspection ?? storedInspection(t),
    tasks: t.tasks,
    storedStatus: t.status,
    storedReason: t.invalidReason,
    invalidatedAt: t.status === 'invalid' ? t.updatedAt : null,
    kind: t.tokenKind,
  };
}

/** A Page's health from its stored tokens alone (no Graph call). */
export function pageHealthFromStore(
  pageId: string,
  tokens: readonly StoredPageToken[],
  options: { now: Date; expiringWindowMs: number; userTokenExpiresAt?: Record<string, Date | null> },
): PageHealth {
  return classifyPageHealth({
    pageId,
    tokens: tokens.map((t) => factsFromStored(t)),
    now: options.now,
    expiringWindowDays: options.expiringWindowMs / DAY_MS,
    userTokenExpiresAt: options.userTokenExpiresAt,
  });
}
