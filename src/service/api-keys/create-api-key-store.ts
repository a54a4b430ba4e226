import { pkError } from '../../errors.js';
import type { ApiKeyRecord, ApiKeyRepository } from '../../store/api-key-repository.js';
import { API_KEY_PATTERN, generateApiKey, generateApiKeyId, hashApiKey } from './api-key-material.js';
import { DEFAULT_SCOPES, type Scope } from './scopes.js';

export type { ApiKeyRecord };

export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: string[];
  /** Shown once; only its hash is stored. */
  key: string;
}

export interface ApiKeyStore {
  create(input: { name: string; scopes?: readonly Scope[] }): Promise<CreatedApiKey>;
  list(): Promise<ApiKeyRecord[]>;
  /** @throws PK_NOT_FOUND when no key has this id. Revoking twice keeps the first time. */
  revoke(id: string): Promise<ApiKeyRecord>;
  /** The key's record when it exists and is not revoked, else null. */
  authenticate(key: string): Promise<ApiKeyRecord | null>;
  /**
   * The record `authenticate` would answer from its cache right now, without waiting; undefined
   * when it would have to ask the database (then call `authenticate`). Lets the request hook stay
   * synchronous on the hot path.
   */
  cached(key: string): ApiKeyRecord | undefined;
}

export interface ApiKeyStoreOptions {
  /**
   * How long a successful lookup is reused in this process (ms). Keeps the database off the hot
   * path of every request; a revoke through this store takes effect at once, one made by another
   * process (the CLI) within this time.
   */
  cacheTtlMs?: number;
  /** last_used_at is written at most this often per key (ms). */
  touchEveryMs?: number;
  now?: () => number;
}

export const DEFAULT_AUTH_CACHE_TTL_MS = 2_000;
export const DEFAULT_TOUCH_EVERY_MS = 60_000;
export const MAX_KEY_NAME_LENGTH = 100;
/** Keys remembered at once by the lookup cache; the oldest is dropped beyond this. */
export const MAX_CACHED_KEYS = 1_000;

/** API keys over the store's `api_keys` repository: only SHA-256 hashes are stored. */
export function createApiKeyStore(keys: ApiKeyRepository, options: ApiKeyStoreOptions = {}): ApiKeyStore {
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_AUTH_CACHE_TTL_MS;
  const touchEveryMs = options.touchEveryMs ?? DEFAULT_TOUCH_EVERY_MS;
  const now = options.now ?? Date.now;
  // Keyed by the presented key itself, so a hit costs no SHA-256; only keys that matched a live
  // row are kept, for at most cacheTtlMs, and never more than MAX_CACHED_KEYS of them.
  const cache = new Map<string, { record: ApiKeyRecord; until: number }>();
  const touched = new Map<string, number>();

  return {
    async create({ name, scopes = DEFAULT_SCOPES }) {
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > MAX_KEY_NAME_LENGTH) throw pkError('PK_USAGE', { detail: `--name must be 1 to ${MAX_KEY_NAME_LENGTH} characters` });
      const key = generateApiKey();
      const id = generateApiKeyId();
      const list = [...new Set(scopes)];
      await keys.insert({ id, name: trimmed, scopes: list, keyHash: hashApiKey(key), at: now() });
      return { id, name: trimmed, scopes: list, key };
    },

    list: () => keys.list(),

    async revoke(id) {
      await keys.revoke(id, now());
      const record = await keys.get(id);
      if (!record) throw pkError('PK_NOT_FOUND', { what: `API key ${id}` });
      for (const [k, entry] of cache) if (entry.record.id === id) cache.delete(k);
      return record;
    },

    cached(key) {
      const hit = cache.get(key);
      return hit && hit.until > now() ? hit.record : undefined;
    },

    async authenticate(key) {
      // Anything not shaped like a key is refused without touching the database.
      if (!API_KEY_PATTERN.test(key)) return null;
      const t = now();
      const hit = cache.get(key);
      if (hit && hit.until > t) return hit.record;
      const record = await keys.findByHash(hashApiKey(key));
      if (!record || record.revokedAt !== null) {
        cache.delete(key);
        return null;
      }
      if (cacheTtlMs > 0) {
        cache.delete(key);
        const oldest = cache.size >= MAX_CACHED_KEYS ? cache.keys().next().value : undefined;
        if (oldest !== undefined) cache.delete(oldest);
        cache.set(key, { record, until: t + cacheTtlMs });
      }
      if ((touched.get(record.id) ?? 0) + touchEveryMs <= t) {
        touched.set(record.id, t);
        // Best effort: a failed bookkeeping write must not fail the request.
        await keys.touch(record.id, t).catch(() => {});
      }
      return record;
    },
  };
}
