/**
 * One contract for the store, run against SQLite and PostgreSQL alike.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import type { PageTokenInput, UserInput } from '../../src/store/types.js';
import { ALL_TABLES, backends } from './backends.js';

const all = await backends();
afterAll(async () => {
  for (const b of all) await b.stop();
});

const T0 = new Date('2030-01-01T00:00:00.000Z');
const DAY = 86_400_000;

const user = (id: string, over: Partial<UserInput> = {}): UserInput => ({
  id,
  name: `User ${id}`,
  token: `EAAuser-${id}-secret`,
  tokenExpiresAt: new Date(T0.getTime() + 60 * DAY),
  dataAccessExpiresAt: new Date(T0.getTime() + 90 * DAY),
  scopes: ['pages_show_list', 'pages_messaging'],
  ...over,
});

const token = (pageId: string, userId: string, over: Partial<PageTokenInput> = {}): PageTokenInput => ({
  pageId,
  userId,
  token: `EAApage-${pageId}-${userId}-secret`,
  tasks: ['MANAGE', 'MESSAGING'],
  expiresAt: null,
  dataAccessExpiresAt: new Date(T0.getTime() + 90 * DAY),
  messagingGranted: true,
  ...over,
});

describe.each(all)('store on $name', (backend) => {
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
  });

  /** A user with their pages connected, as the token flow stores them. */
  async function connect(userId: string, pageIds: string[]) {
    await store.transaction(async (tx) => {
      await tx.users.upsert(user(userId));
      for (const p of pageIds) {
        await tx.pages.upsert({ id: p, name: `Page ${p}`, category: 'Shop' });
        await tx.pageTokens.upsert(token(p, userId));
      }
    });
  }

  it('reports its dialect', () => {
    expect(store.dialect).toBe(backend.name);
  });

  describe('users', () => {
    it('stores the token encrypted and gives it back decrypted', async () => {
      await store.users.upsert(user('42'));
      const raw = await store.db.selectFrom('users').selectAll().where('id', '=', '42').executeTakeFirstOrThrow();
      expect(raw.token_ciphertext).not.toContain('EAAuser');
      expect(raw.token_key_id).toBe('k1');

      const got = await store.users.getWithToken('42');
      expect(got).toMatchObject({
        id: '42',
        name: 'User 42',
        token: 'EAAuser-42-secret',
        tokenExpiresAt: new Date(T0.getTime() + 60 * DAY),
        dataAccessExpiresAt: new Date(T0.getTime() + 90 * DAY),
        scopes: ['pages_show_list', 'pages_messaging'],
        status: 'valid',
        invalidReason: null,
        connectedAt: T0,
      });
      expect(await store.users.get('42')).not.toHaveProperty('token');
    });

    it('updates in place on reconnect, keeping when it was first connected', async () => {
      await store.users.upsert(user('42'));
      await store.users.markInvalid('42', 'password_changed');
      clock = new Date(T0.getTime() + DAY);
      await store.users.upsert(user('42', { name: 'Renamed', token: 'EAAnew', tokenExpiresAt: null }));
      const got = await store.users.getWithToken('42');
      expect(got).toMatchObject({ name: 'Renamed', token: 'EAAnew', tokenExpiresAt: null, status: 'valid', invalidReason: null, connectedAt: T0, updatedAt: clock });
      expect(await store.users.list()).toHaveLength(1);
    });

    it('lists users by id and returns undefined for unknown ones', async () => {
      await store.users.upsert(user('9'));
      await store.users.upsert(user('10'));
      expect((await store.users.list()).map((u) => u.id)).toEqual(['10', '9']);
      expect(await store.users.get('nobody')).toBeUndefined();
      expect(await store.users.getWithToken('nobody')).toBeUndefined();
    });

    it('marks a user invalid once', async () => {
      await store.users.upsert(user('42'));
      expect(await store.users.markInvalid('42', 'app_removed')).toBe(true);
      expect(await store.users.markInvalid('42', 'app_removed')).toBe(false);
      expect(await store.users.get('42')).toMatchObject({ status: 'invalid', invalidReason: 'app_removed' });
    });
  });

  describe('pages and their tokens', () => {
    it('lists pages with every admin token state, without token values', async () => {
      await connect('1', ['100', '200']);
      clock = new Date(T0.getTime() + 1000);
      await connect('2', ['100']);
      const pages = await store.pages.list();
      expect(pages.map((p) => p.id)).toEqual(['100', '200']);
      const page = pages[0]!;
      expect(page).toMatchObject({ id: '100', name: 'Page 100', category: 'Shop', status: 'healthy', removedAt: null, connectedAt: T0 });
      expect(page.tokens.map((t) => t.userId)).toEqual(['1', '2']);
      expect(page.tokens[0]).toMatchObject({ pageId: '100', userId: '1', keyId: 'k1', tasks: ['MANAGE', 'MESSAGING'], status: 'valid', expiresAt: null, messagingGranted: true });
      expect(JSON.stringify(pages)).not.toContain('secret');
      expect(await store.pages.getWithTokens('100')).toEqual(page);
      expect(await store.pages.get('nope')).toBeUndefined();
    });

    it('reports whether an upserted page is new', async () => {
      expect(await store.pages.upsert({ id: '100', name: 'A' })).toEqual({ created: true });
      expect(await store.pages.upsert({ id: '100', name: 'B' })).toEqual({ created: false });
      expect(await store.pages.get('100')).toMatchObject({ name: 'B', category: null });
    });

    it('gives a page its valid tokens decrypted, messaging first then oldest, for failover', async () => {
      await store.users.upsert(user('1'));
      await store.users.upsert(user('2'));
      await store.users.upsert(user('3'));
      await store.pages.upsert({ id: '100', name: 'P' });
      await store.pageTokens.upsert(token('100', '1', { messagingGranted: false }));
      clock = new Date(T0.getTime() + 1);
      await store.pageTokens.upsert(token('100', '2'));
      clock = new Date(T0.getTime() + 2);
      await store.pageTokens.upsert(token('100', '3'));
      await store.pageTokens.markInvalid('100', '3', { reason: 'password_changed', subcode: 460 });

      const valid = await store.pageTokens.getValidTokens('100');
      expect(valid.map((t) => [t.userId, t.token])).toEqual([
        ['2', 'EAApage-100-2-secret'],
        ['1', 'EAApage-100-1-secret'],
      ]);
      expect(await store.pageTokens.getValidTokens('999')).toEqual([]);
      expect((await store.pageTokens.getWithToken('100', '3'))?.token).toBe('EAApage-100-3-secret');
    });

    it('marks a token invalid once, so concurrent failures make one transition', async () => {
      await connect('1', ['100']);
      const results = await Promise.all([1, 2, 3].map(() => store.pageTokens.markInvalid('100', '1', { reason: 'password_changed', subcode: 460 })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.pageTokens.get('100', '1')).toMatchObject({ status: 'invalid', invalidReason: 'password_changed', invalidSubcode: 460 });
      expect(await store.pageTokens.markInvalid('100', 'nobody', { reason: 'invalid' })).toBe(false);
    });

    it('heals a token on reconnect', async () => {
      await connect('1', ['100']);
      await store.pageTokens.markInvalid('100', '1', { reason: 'logged_out', subcode: 467 });
      await connect('1', ['100']);
      expect(await store.pageTokens.get('100', '1')).toMatchObject({ status: 'valid', invalidReason: null, invalidSubcode: null, createdAt: T0 });
    });

    it('invalidates every token a user granted (deauthorize)', async () => {
      await connect('1', ['100', '200']);
      await connect('2', ['100']);
      expect(await store.pageTokens.markInvalidForUser('1', { reason: 'app_removed', subcode: 458 })).toEqual(['100', '200']);
      expect(await store.pageTokens.markInvalidForUser('1', { reason: 'app_removed', subcode: 458 })).toEqual([]);
      expect((await store.pageTokens.getValidTokens('100')).map((t) => t.userId)).toEqual(['2']);
    });

    it('records what a health check learnt, leaving the rest', async () => {
      await connect('1', ['100']);
      const checkedAt = new Date(T0.getTime() + 5 * DAY);
      expect(await store.pageTokens.recordCheck('100', '1', { messagingGranted: false, tasks: ['ANALYZE'], checkedAt })).toBe(true);
      expect(await store.pageTokens.get('100', '1')).toMatchObject({ messagingGranted: false, tasks: ['ANALYZE'], lastCheckedAt: checkedAt, expiresAt: null });
      expect(await store.pageTokens.recordCheck('100', 'x', {})).toBe(false);
    });

    it('lists every token for sweeps, optionally by status and decrypted', async () => {
      await connect('1', ['100', '200']);
      await store.pageTokens.markInvalid('200', '1', { reason: 'expired', subcode: 463 });
      expect((await store.pageTokens.listAll()).map((t) => t.pageId)).toEqual(['100', '200']);
      const valid = await store.pageTokens.listAllWithTokens({ status: 'valid' });
      expect(valid.map((t) => t.token)).toEqual(['EAApage-100-1-secret']);
      expect((await store.pageTokens.listForPage('200'))[0]?.status).toBe('invalid');
    });

    it('sets and reports a page status change', async () => {
      await connect('1', ['100']);
      const checked = new Date(T0.getTime() + DAY);
      expect(await store.pages.setStatus('100', { status: 'needs_reauth', reason: 'password changed', fix: 'reconnect', lastCheckedAt: checked })).toEqual({
        previousStatus: 'healthy',
      });
      expect(await store.pages.get('100')).toMatchObject({ status: 'needs_reauth', reason: 'password changed', fix: 'reconnect', warning: null, lastCheckedAt: checked });
      expect(await store.pages.setStatus('100', { status: 'healthy', warning: '1 of 2 tokens lost' })).toEqual({ previousStatus: 'needs_reauth' });
      expect(await store.pages.get('100')).toMatchObject({ status: 'healthy', reason: null, fix: null, warning: '1 of 2 tokens lost', lastCheckedAt: checked });
      expect(await store.pages.setStatus('nope', { status: 'healthy' })).toBeUndefined();
    });

    it('on reconnect drops pages a user no longer grants and marks pages nobody grants removed', async () => {
      await connect('1', ['100', '200', '300']);
      await connect('2', ['200']);
      clock = new Date(T0.getTime() + DAY);
      expect(await store.pages.markRemovedForUser('1', ['100'])).toEqual({ revokedPageIds: ['200', '300'], removedPageIds: ['300'] });
      expect((await store.pages.list()).map((p) => p.id)).toEqual(['100', '200']);
      const removed = await store.pages.get('300');
      expect(removed?.removedAt).toEqual(clock);
      expect((await store.pages.list({ includeRemoved: true })).map((p) => p.id)).toEqual(['100', '200', '300']);
      expect(await store.pageTokens.get('200', '1')).toBeUndefined();

      // granting it again restores it
      await connect('1', ['100', '300']);
      expect((await store.pages.get('300'))?.removedAt).toBeNull();
    });

    it('refuses a token for a page or user that does not exist', async () => {
      await store.users.upsert(user('1'));
      await expect(store.pageTokens.upsert(token('nope', '1'))).rejects.toThrow();
    });
  });

  describe('transactions', () => {
    it('rolls everything back when the work throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.users.upsert(user('1'));
          await tx.pages.upsert({ id: '100', name: 'P' });
          await tx.pageTokens.upsert(token('100', '1'));
          await tx.audit.append({ event: 'user_connected', userId: '1' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.users.list()).toEqual([]);
      expect(await store.pages.list()).toEqual([]);
      expect(await store.audit.list()).toEqual([]);
    });

    it('joins an outer transaction when nested', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.transaction(async (inner) => inner.users.upsert(user('1')));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.users.list()).toEqual([]);
    });
  });

  describe('data deletion', () => {
    it('deletes a user, their tokens and the pages only they granted', async () => {
      await connect('1', ['100', '200']);
      await connect('2', ['200']);
      await store.db.insertInto('conversations').values({ page_id: '100', psid: 'p1', last_inbound_at: T0.getTime() }).execute();
      await store.audit.append({ event: 'user_connected', userId: '1' });

      expect(await store.users.deleteWithData('1')).toEqual({ existed: true, deletedPageIds: ['100'] });
      expect(await store.users.get('1')).toBeUndefined();
      expect(await store.pageTokens.listAll()).toHaveLength(1);
      expect((await store.pages.list({ includeRemoved: true })).map((p) => p.id)).toEqual(['200']);
      expect(await store.db.selectFrom('conversations').selectAll().execute()).toEqual([]);
      expect(await store.users.deleteWithData('1')).toEqual({ existed: false, deletedPageIds: [] });
    });
  });

  describe('audit log', () => {
    it('appends events and lists the latest first, by page or user', async () => {
      const first = await store.audit.append({ event: 'token_invalidated', pageId: '100', userId: '1', oldState: 'valid', newState: 'invalid', reason: 'password_changed', detail: { code: 190, subcode: 460 } });
      clock = new Date(T0.getTime() + 1000);
      const second = await store.audit.append({ event: 'page_status_changed', pageId: '200', oldState: 'healthy', newState: 'needs_reauth' });
      await store.audit.append({ event: 'user_connected', userId: '1' });
      expect(second).toBeGreaterThan(first);

      const latest = await store.audit.list({ limit: 2 });
      expect(latest.map((e) => e.event)).toEqual(['user_connected', 'page_status_changed']);
      expect(await store.audit.list({ pageId: '100' })).toEqual([
        { id: first, at: T0, event: 'token_invalidated', pageId: '100', userId: '1', oldState: 'valid', newState: 'invalid', reason: 'password_changed', detail: { code: 190, subcode: 460 } },
      ]);
      expect((await store.audit.list({ userId: '1' })).map((e) => e.event)).toEqual(['user_connected', 'token_invalidated']);
      expect((await store.audit.list({ beforeId: second })).map((e) => e.id)).toEqual([first]);
      expect((await store.audit.listAfter(first)).map((e) => e.event)).toEqual(['page_status_changed', 'user_connected']);
    });
  });

  describe('leases', () => {
    it('go to one holder at a time, are renewed by it, and pass on when expired or released', async () => {
      expect(await store.leases.acquire('sweep', 'a', 30_000)).toBe(true);
      expect(await store.leases.acquire('sweep', 'b', 30_000)).toBe(false);
      clock = new Date(T0.getTime() + 20_000);
      expect(await store.leases.acquire('sweep', 'a', 30_000)).toBe(true);
      expect(await store.leases.get('sweep')).toEqual({ holder: 'a', expiresAt: new Date(T0.getTime() + 50_000) });
      clock = new Date(T0.getTime() + 50_000);
      expect(await store.leases.acquire('sweep', 'b', 30_000)).toBe(true);
      expect(await store.leases.release('sweep', 'a')).toBe(false);
      expect(await store.leases.release('sweep', 'b')).toBe(true);
      expect(await store.leases.get('sweep')).toBeUndefined();
    });

    it('are counted live by name prefix until they expire, the prefix taken literally', async () => {
      await store.leases.acquire('outbox-worker:a', 'a', 30_000);
      await store.leases.acquire('outbox-worker:b', 'b', 10_000);
      await store.leases.acquire('outbox-workerXc', 'c', 30_000);
      await store.leases.acquire('health-sweep:1/8', 'a', 30_000);
      expect(await store.leases.listLive('outbox-worker:', T0.getTime())).toHaveLength(2);
      // `_` and `%` in a prefix match only themselves.
      expect(await store.leases.listLive('outbox_worker', T0.getTime())).toHaveLength(0);
      expect(await store.leases.listLive('outbox-worker:', T0.getTime() + 10_000)).toHaveLength(1);
      expect(await store.leases.listLive('outbox-worker:', T0.getTime() + 30_000)).toHaveLength(0);
      // The same live set by name, sorted the same way on both databases.
      await store.leases.acquire('outbox-worker:B', 'B', 30_000);
      expect(await store.leases.listLive('outbox-worker:', T0.getTime())).toEqual(['outbox-worker:B', 'outbox-worker:a', 'outbox-worker:b']);
      expect(await store.leases.listLive('outbox-worker:', T0.getTime() + 10_000)).toEqual(['outbox-worker:B', 'outbox-worker:a']);
    });

    it('go to exactly one of several instances racing for them', async () => {
      const wins = await Promise.all(['a', 'b', 'c', 'd'].map((h) => store.leases.acquire('leader', h, 30_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('stored ciphertexts', () => {
    it('refuses a token ciphertext copied to another row', async () => {
      await connect('1', ['100', '200']);
      const from = await store.db.selectFrom('page_tokens').select('token_ciphertext').where('page_id', '=', '100').executeTakeFirstOrThrow();
      await store.db.updateTable('page_tokens').set({ token_ciphertext: from.token_ciphertext }).where('page_id', '=', '200').execute();
      const e = await store.pageTokens.getWithToken('200', '1').catch((err: unknown) => err);
      expect(isPageKeeperError(e, 'PK_DECRYPT_FAILED')).toBe(true);
      expect((e as Error).message).toContain('page token of page 200 granted by user 1');
      expect((e as Error).message).not.toContain('secret');
    });

    it('refuses a tampered user token', async () => {
      await store.users.upsert(user('1'));
      const row = await store.db.selectFrom('users').select('token_ciphertext').executeTakeFirstOrThrow();
      const bytes = Buffer.from(row.token_ciphertext, 'base64');
      bytes[20]! ^= 0xff;
      await store.db.updateTable('users').set({ token_ciphertext: bytes.toString('base64') }).execute();
      await expect(store.users.getWithToken('1')).rejects.toMatchObject({ code: 'PK_DECRYPT_FAILED' });
    });

    it('says which key is missing when reopened without it', async () => {
      await connect('1', ['100']);
      const other = await createStore({ database: backend.url!, keys: generateKeyEntry('k2') });
      try {
        await expect(other.pageTokens.getValidTokens('100')).rejects.toMatchObject({ code: 'PK_KEY_UNKNOWN', message: expect.stringContaining('"k1"') });
      } finally {
        await other.close();
      }
    });
  });
});
