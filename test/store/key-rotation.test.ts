import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { rotateKeys } from '../../src/store/rotate-keys.js';
import { backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

const USERS = 3;
const PAGES = 25;

async function seed(store: Store) {
  await store.transaction(async (tx) => {
    for (let u = 0; u < USERS; u++) {
      await tx.users.upsert({ id: `9${u}`, name: `U${u}`, token: `user-token-${u}`, tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: [] });
      for (let p = 0; p < PAGES; p++) {
        await tx.pages.upsert({ id: `8${String(p).padStart(2, '0')}`, name: `P${p}` });
        await tx.pageTokens.upsert({ pageId: `8${String(p).padStart(2, '0')}`, userId: `9${u}`, token: `page-token-${p}-${u}`, tasks: [], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
      }
    }
  });
}

async function everyTokenDecrypts(store: Store) {
  for (let u = 0; u < USERS; u++) expect((await store.users.getWithToken(`9${u}`))?.token).toBe(`user-token-${u}`);
  const tokens = await store.pageTokens.listAllWithTokens();
  expect(tokens).toHaveLength(USERS * PAGES);
  for (const t of tokens) expect(t.token).toBe(`page-token-${Number(t.pageId.slice(1))}-${t.userId.slice(1)}`);
}

describe.each(all)('pagekeeper keys rotate on $name', (backend) => {
  it.skipIf(backend.skipped !== undefined)('re-encrypts everything under the new key, and finishes after an interruption', async () => {
    const oldKey = generateKeyEntry('old');
    const before = await createStore({ database: backend.url!, keys: oldKey });
    await seed(before);
    await before.close();

    const both = `${generateKeyEntry('new')},${oldKey}`;
    const store = await createStore({ database: backend.url!, keys: both });
    try {
      let batches = 0;
      await expect(
        rotateKeys(store, {
          batchSize: 10,
          onProgress: () => {
            if (++batches === 3) throw new Error('interrupted');
          },
        }),
      ).rejects.toThrow('interrupted');

      const mixed = await store.pageTokens.listAll();
      expect(new Set(mixed.map((t) => t.keyId))).toEqual(new Set(['new', 'old']));
      await everyTokenDecrypts(store);

      const progress: number[] = [];
      const result = await rotateKeys(store, { batchSize: 10, onProgress: (p) => void progress.push(p.rotated) });
      expect(result.remaining).toBe(0);
      // Before the interruption the users (one batch) and two batches of 10 page tokens were committed.
      expect(result.rotated).toBe(USERS * PAGES - 20);
      expect(progress.length).toBeGreaterThan(1);
      await everyTokenDecrypts(store);

      expect(await rotateKeys(store)).toEqual({ rotated: 0, remaining: 0 });
    } finally {
      await store.close();
    }

    // The old key can now be dropped.
    const onlyNew = await createStore({ database: backend.url!, keys: both.split(',')[0] });
    try {
      await everyTokenDecrypts(onlyNew);
    } finally {
      await onlyNew.close();
    }
  });
});
