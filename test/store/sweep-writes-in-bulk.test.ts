/**
 * A sweep writes its findings in bulk (recordChecks, setStatuses); on both backends, inside or
 * outside a transaction, the rows end up as the one-row methods leave them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { ALL_TABLES, backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

const T0 = new Date('2030-01-01T00:00:00.000Z');
const DAY = 86_400_000;

describe.each(all)('bulk sweep writes on $name', (backend) => {
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
    await store.users.upsert({ id: '1', name: 'U', token: 'EAAuser-1', tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: [] });
    for (const id of ['100', '200']) {
      await store.pages.upsert({ id, name: `P${id}` });
      await store.pageTokens.upsert({ pageId: id, userId: '1', token: `EAApage-${id}`, tasks: ['MANAGE'], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
    }
  });

  it('records many checks, each with only its given fields, and counts the rows written', async () => {
    const checkedAt = new Date(T0.getTime() + DAY);
    const expiresAt = new Date(T0.getTime() + 60 * DAY);
    const written = await store.transaction((tx) =>
      tx.pageTokens.recordChecks([
        { pageId: '100', userId: '1', check: { expiresAt, dataAccessExpiresAt: null, messagingGranted: false, checkedAt } },
        { pageId: '200', userId: '1', check: { tasks: ['ANALYZE'], checkedAt } },
        { pageId: '999', userId: '1', check: { checkedAt } },
      ]),
    );
    expect(written).toBe(2);
    expect(await store.pageTokens.get('100', '1')).toMatchObject({ expiresAt, dataAccessExpiresAt: null, messagingGranted: false, tasks: ['MANAGE'], lastCheckedAt: checkedAt });
    expect(await store.pageTokens.get('200', '1')).toMatchObject({ expiresAt: null, messagingGranted: true, tasks: ['ANALYZE'], lastCheckedAt: checkedAt });
    expect(await store.pageTokens.recordChecks([{ pageId: '200', userId: '1', check: { messagingGranted: false } }])).toBe(1);
    expect(await store.pageTokens.get('200', '1')).toMatchObject({ messagingGranted: false, tasks: ['ANALYZE'] });
  });

  it('sets many statuses in order, giving each status before, and undefined for a missing page', async () => {
    const checkedAt = new Date(T0.getTime() + DAY);
    const previous = await store.transaction((tx) =>
      tx.pages.setStatuses([
        { id: '100', update: { status: 'needs_reauth', reason: 'r', fix: 'f', lastCheckedAt: checkedAt } },
        { id: '999', update: { status: 'healthy' } },
        { id: '200', update: { status: 'healthy', warning: 'w' } },
      ]),
    );
    expect(previous).toEqual([{ previousStatus: 'healthy' }, undefined, { previousStatus: 'healthy' }]);
    expect(await store.pages.get('100')).toMatchObject({ status: 'needs_reauth', reason: 'r', fix: 'f', warning: null, lastCheckedAt: checkedAt });
    expect(await store.pages.get('200')).toMatchObject({ status: 'healthy', reason: null, warning: 'w', lastCheckedAt: null });
    expect(await store.pages.setStatuses([{ id: '100', update: { status: 'healthy' } }])).toEqual([{ previousStatus: 'needs_reauth' }]);
    expect(await store.pages.get('100')).toMatchObject({ status: 'healthy', reason: null, fix: null, lastCheckedAt: checkedAt });
  });

  it('rolls the bulk writes back with the transaction they were part of', async () => {
    await store
      .transaction(async (tx) => {
        await tx.pageTokens.recordChecks([{ pageId: '100', userId: '1', check: { messagingGranted: false } }]);
        await tx.pages.setStatuses([{ id: '100', update: { status: 'needs_reauth' } }]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await store.pageTokens.get('100', '1')).toMatchObject({ messagingGranted: true });
    expect(await store.pages.get('100')).toMatchObject({ status: 'healthy' });
  });
});
