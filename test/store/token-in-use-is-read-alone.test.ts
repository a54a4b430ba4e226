/**
 * The read behind `page(id).token()` on a cache miss: only the token in use (the first of the
 * failover order), on both backends, and never a row another transaction has not committed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import type { PageTokenInput } from '../../src/store/types.js';
import { ALL_TABLES, backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

const T0 = new Date('2030-01-01T00:00:00.000Z');

const token = (pageId: string, userId: string, over: Partial<PageTokenInput> = {}): PageTokenInput => ({
  pageId,
  userId,
  token: `EAApage-${pageId}-${userId}-secret`,
  tasks: ['MANAGE', 'MESSAGING'],
  expiresAt: null,
  dataAccessExpiresAt: null,
  messagingGranted: true,
  ...over,
});

describe.each(all)('the token in use on $name', (backend) => {
  let store: Store;
  let clock = T0;

  beforeAll(async () => {
    if (backend.skipped) return;
    store = await createStore({ database: backend.url!, keys: generateKeyEntry('k1'), now: () => clock });
  });
  afterAll(async () => {
    await store?.close();
  });
  beforeEach(async (ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
    clock = T0;
    for (const table of ALL_TABLES) await store.db.deleteFrom(table).execute();
    for (const id of ['1', '2', '3']) {
      await store.users.upsert({ id, name: `User ${id}`, token: `EAAuser-${id}`, tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: [] });
    }
    await store.pages.upsert({ id: '100', name: 'P' });
  });

  it('is the first valid token of the failover order, decrypted, with whose grant it is', async () => {
    await store.pageTokens.upsert(token('100', '1', { messagingGranted: false }));
    clock = new Date(T0.getTime() + 1);
    await store.pageTokens.upsert(token('100', '2'));
    clock = new Date(T0.getTime() + 2);
    await store.pageTokens.upsert(token('100', '3'));

    expect(await store.pageTokens.getFirstValidToken('100')).toEqual({ pageId: '100', userId: '2', token: 'EAApage-100-2-secret' });
    const [first] = await store.pageTokens.getValidTokens('100');
    expect(first?.userId).toBe('2');

    await store.pageTokens.markInvalid('100', '2', { reason: 'password_changed', subcode: 460 });
    expect((await store.pageTokens.getFirstValidToken('100'))?.userId).toBe('3');
    await store.pageTokens.markInvalid('100', '3', { reason: 'password_changed', subcode: 460 });
    expect((await store.pageTokens.getFirstValidToken('100'))?.userId).toBe('1');
    await store.pageTokens.markInvalid('100', '1', { reason: 'password_changed', subcode: 460 });
    expect(await store.pageTokens.getFirstValidToken('100')).toBeUndefined();
    expect(await store.pageTokens.getFirstValidToken('999')).toBeUndefined();
  });

  it('does not see a token another transaction has not committed', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let written!: () => void;
    const upserted = new Promise<void>((r) => (written = r));
    const tx = store
      .transaction(async (t) => {
        await t.pageTokens.upsert(token('100', '1'));
        written();
        await held;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await upserted;
    const read = store.pageTokens.getFirstValidToken('100');
    release();
    await tx;
    expect(await read).toBeUndefined();
  });
});
