/**
 * Where `page(id).token()` gets its token: a bounded LRU of decrypted tokens in front of the
 * store. Concurrent misses for one page share one read and decrypt (one in-flight promise per
 * page, as octokit/auth-app does); entries are dropped when a token is marked invalid, when a
 * page is reconnected and when keys are rotated, so a stale token is never handed out twice.
 */
import { pkError } from '../errors.js';
import type { StoreRepositories } from '../store/create-store.js';
import type { PageTokenRepository } from '../store/page-token-repository.js';
import { describeTokenLoss } from '../core/reasons.js';

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/** The token a page is used with now: the first valid one in failover order. */
export interface CachedPageToken {
  pageId: string;
  /** Whose grant this token comes from. */
  userId: string;
  /** Never log it. */
  token: string;
}

export interface PageTokenCache {
  /** The page's current token. @throws PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN, PK_DECRYPT_FAILED, PK_KEY_UNKNOWN */
  get(pageId: string): Promise<CachedPageToken>;
  /** Just the token; a cache hit returns one stored, already-resolved promise (no allocation). */
  token(pageId: string): Promise<string>;
  /** Drops one page's entry (its token was marked invalid or replaced). */
  invalidate(pageId: string): void;
  /** Drops everything (key rotation, reconnect of many pages). */
  clear(): void;
  readonly size: number;
}

/**
 * What the cache reads from the store. getFirstValidToken (one row, one decryption) is used when
 * the store has it; a source with only getValidTokens (a test double) still works.
 */
export interface PageTokenSource {
  pageTokens: Pick<PageTokenRepository, 'getValidTokens'> & Partial<Pick<PageTokenRepository, 'getFirstValidToken'>>;
  pages: Pick<StoreRepositories['pages'], 'getWithTokens'>;
}

/** Builds the cache over the store's page tokens; `maxEntries` bounds memory. */
export function createPageTokenCache(store: PageTokenSource, maxEntries = DEFAULT_TOKEN_CACHE_SIZE): PageTokenCache {
  const entries = new Map<string, { value: CachedPageToken; token: Promise<string> }>();
  const inFlight = new Map<string, Promise<CachedPageToken>>();
  // Bumped on every invalidation: a read that started before it must not fill the cache after it.
  const generation = new Map<string, number>();
  let clears = 0;

  async function load(pageId: string): Promise<CachedPageToken> {
    const first = store.pageTokens.getFirstValidToken ? await store.pageTokens.getFirstValidToken(pageId) : (await store.pageTokens.getValidTokens(pageId))[0];
    if (first) return { pageId, userId: first.userId, token: first.token };
    const page = await store.pages.getWithTokens(pageId);
    if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
    const lost = page.tokens.find((t) => t.invalidReason !== null);
    const d = describeTokenLoss(lost?.invalidReason ?? 'invalid', lost?.tokenKind);
    throw pkError('PK_NO_VALID_TOKEN', { pageId, reason: page.reason ?? d.reason, fix: page.fix ?? d.fix });
  }

  function hit(pageId: string) {
    const entry = entries.get(pageId);
    if (entry && entries.size > 1) {
      // Refresh recency: Map keeps insertion order, so re-inserting moves it to the end.
      entries.delete(pageId);
      entries.set(pageId, entry);
    }
    return entry;
  }

  function get(pageId: string): Promise<CachedPageToken> {
    const entry = hit(pageId);
    if (entry) return Promise.resolve(entry.value);
    const pending = inFlight.get(pageId);
    if (pending) return pending;
    const gen = generation.get(pageId) ?? 0;
    const clearsAtStart = clears;
    const p = load(pageId)
      .then((value) => {
        if ((generation.get(pageId) ?? 0) === gen && clears === clearsAtStart) {
          entries.set(pageId, { value, token: Promise.resolve(value.token) });
          if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
        }
        return value;
      })
      .finally(() => {
        if (inFlight.get(pageId) === p) inFlight.delete(pageId);
      });
    inFlight.set(pageId, p);
    return p;
  }

  return {
    get,
    token: (pageId) => hit(pageId)?.token ?? get(pageId).then((v) => v.token),
    invalidate(pageId) {
      entries.delete(pageId);
      inFlight.delete(pageId);
      generation.set(pageId, (generation.get(pageId) ?? 0) + 1);
    },
    clear() {
      entries.clear();
      inFlight.clear();
      clears++;
    },
    get size() {
      return entries.size;
    },
  };
}
