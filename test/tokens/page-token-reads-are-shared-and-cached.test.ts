import { describe, expect, it } from 'vitest';
import type { StoredPageTokenWithToken } from '../../src/store/types.js';
import { createPageTokenCache } from '../../src/tokens/page-token-cache.js';

/** A store stand-in that counts reads and lets the test decide when they finish. */
function fakeStore() {
  let reads = 0;
  const gates: Array<() => void> = [];
  const tokens = new Map<string, string>([
    ['1', 'token-one'],
    ['2', 'token-two'],
    ['3', 'token-three'],
  ]);
  const store = {
    pageTokens: {
      async getValidTokens(pageId: string) {
        reads++;
        await new Promise<void>((r) => gates.push(r));
        const token = tokens.get(pageId);
        return token ? ([{ pageId, userId: 'u', token }] as StoredPageTokenWithToken[]) : [];
      },
    },
    pages: { getWithTokens: async () => undefined },
  };
  return {
    store: store as unknown as Parameters<typeof createPageTokenCache>[0],
    reads: () => reads,
    release: () => gates.splice(0).forEach((g) => g()),
    tokens,
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('page(id).token() reads and decrypts once, then answers from memory', () => {
  it('concurrent calls for one page share one read', async () => {
    const f = fakeStore();
    const cache = createPageTokenCache(f.store);
    const calls = Array.from({ length: 100 }, () => cache.get('1'));
    await flush();
    f.release();
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => r.token))).toEqual(new Set(['token-one']));
    expect(f.reads()).toBe(1);
    await cache.get('1');
    expect(f.reads()).toBe(1);
  });

  it('an invalidation during a read keeps the stale answer out of the cache', async () => {
    const f = fakeStore();
    const cache = createPageTokenCache(f.store);
    const first = cache.get('1');
    await flush();
    cache.invalidate('1');
    f.tokens.set('1', 'token-one-renewed');
    f.release();
    await first;
    const next = cache.get('1');
    await flush();
    f.release();
    expect((await next).token).toBe('token-one-renewed');
    expect(f.reads()).toBe(2);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const f = fakeStore();
    const cache = createPageTokenCache(f.store, 2);
    const load = async (id: string) => {
      const p = cache.get(id);
      await flush();
      f.release();
      return p;
    };
    await load('1');
    await load('2');
    await load('1'); // hit: 1 becomes the most recent
    await load('3'); // evicts 2
    expect(cache.size).toBe(2);
    const readsBefore = f.reads();
    await load('1');
    expect(f.reads()).toBe(readsBefore);
    await load('2');
    expect(f.reads()).toBe(readsBefore + 1);
  });

  it('a page with no token left is an error that names it', async () => {
    const f = fakeStore();
    const cache = createPageTokenCache(f.store);
    const p = cache.get('404');
    await flush();
    f.release();
    await expect(p).rejects.toMatchObject({ code: 'PK_PAGE_NOT_FOUND', message: expect.stringContaining('404') });
  });
});
