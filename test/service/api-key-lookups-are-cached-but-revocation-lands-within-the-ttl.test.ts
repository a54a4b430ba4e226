import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { createApiKeyStore, MAX_CACHED_KEYS } from '../../src/service/api-keys/create-api-key-store.js';

// The service caches successful key lookups by the presented key (no hash per request); a key
// revoked by another process (the CLI) must still stop working once the cache time has passed.
describe('API key lookup cache', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
  });

  it('answers a known key from the cache until the TTL, then sees a revoke made elsewhere', async () => {
    store = await createStore({ database: 'sqlite::memory:', keys: generateKeyEntry('t') });
    let t = 1_000_000;
    const service = createApiKeyStore(store.apiKeys, { cacheTtlMs: 2_000, now: () => t });
    const cli = createApiKeyStore(store.apiKeys, { now: () => t });
    const { key, id } = await cli.create({ name: 'k' });

    expect(service.cached(key)).toBeUndefined();
    expect((await service.authenticate(key))?.id).toBe(id);
    expect(service.cached(key)?.id).toBe(id);

    await cli.revoke(id);
    t += 1_999;
    expect(service.cached(key)?.id).toBe(id); // within the documented 2 s bound
    t += 1;
    expect(service.cached(key)).toBeUndefined();
    expect(await service.authenticate(key)).toBeNull();
  });

  it('a revoke through the same store takes effect at once, and a wrong key is never cached', async () => {
    store = await createStore({ database: 'sqlite::memory:', keys: generateKeyEntry('t') });
    const service = createApiKeyStore(store.apiKeys, { cacheTtlMs: 60_000 });
    const { key, id } = await service.create({ name: 'k' });
    const wrong = `pk_${'A'.repeat(43)}`;
    expect(await service.authenticate(wrong)).toBeNull();
    expect(service.cached(wrong)).toBeUndefined();
    expect(await service.authenticate(key)).not.toBeNull();
    await service.revoke(id);
    expect(service.cached(key)).toBeUndefined();
    expect(await service.authenticate(key)).toBeNull();
  });

  it('keeps at most MAX_CACHED_KEYS keys, dropping the oldest', async () => {
    store = await createStore({ database: 'sqlite::memory:', keys: generateKeyEntry('t') });
    const service = createApiKeyStore(store.apiKeys, { cacheTtlMs: 60_000 });
    const keys: string[] = [];
    for (let i = 0; i <= MAX_CACHED_KEYS; i++) keys.push((await service.create({ name: `k${i}` })).key);
    for (const k of keys) await service.authenticate(k);
    expect(service.cached(keys[0]!)).toBeUndefined();
    expect(service.cached(keys[1]!)).not.toBeUndefined();
    expect(service.cached(keys[MAX_CACHED_KEYS]!)).not.toBeUndefined();
  });
});
