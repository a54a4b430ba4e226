/**
 * The operations console's store half on both databases: migration 0013 applies and undoes; the
 * outbox browses newest first by status, Page and time with keyset pages; a claimed message is not
 * cancelled but a waiting one is; a message is retried once (a second insert returns the first
 * retry); removing a Page cancels its waiting messages and deletes its tokens; the audit log
 * filters by kind and time; a data deletion takes the messages' history too.
 */
import { Migrator } from 'kysely';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { databaseBackends } from '../helpers/databases.js';

const dbs = await databaseBackends('outbox console');

describe.each(dbs)('the outbox console on $name', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  it('browses, cancels, retries once, removes a Page, filters the audit log; 0013 undoes cleanly', async () => {
    const store = await createStore({ database: await backend.fresh(), keys: generateKeyEntry('k1') });
    onTestFinished(() => store.close());
    await store.users.upsert({ id: '900', name: 'Ann', token: 'EAAuser', tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: ['pages_messaging'] });
    for (const id of ['111', '222']) {
      await store.pages.upsert({ id, name: `Page ${id}` });
      await store.pageTokens.upsert({ pageId: id, userId: '900', token: `EAApage${id}`, tasks: ['MESSAGING'], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
    }
    const insert = (id: string, pageId: string, at: number) =>
      store.outbox.insert({ id, pageId, psid: 'p1', payload: JSON.stringify({ message: { text: id } }), idempotencyKey: null, atLeastOnce: false, at: new Date(at) });
    await insert('m1', '111', 1_000);
    await insert('m2', '111', 2_000);
    await insert('m3', '222', 3_000);
    await insert('m4', '111', 4_000);
    const c = store.outboxConsole;

    expect((await c.browse()).map((m) => m.id)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect((await c.browse({ pageId: '111', since: 2_000 })).map((m) => m.id)).toEqual(['m4', 'm2']);
    expect((await c.browse({ until: 3_000 })).map((m) => m.id)).toEqual(['m2', 'm1']);
    const firstPage = await c.browse({ limit: 2 });
    expect((await c.browse({ limit: 2, beforeSeq: firstPage[1]!.seq })).map((m) => m.id)).toEqual(['m2', 'm1']);

    // m1 is claimed by a worker (about to be sent): not cancelled. m2 waits: cancelled.
    await store.outbox.claimHeads('w1', 5_000, 60_000, 1);
    expect((await c.cancel('m1', 5_000, 'Cancelled by an operator'))?.status).toBe('queued');
    expect((await c.cancel('m2', 5_000, 'Cancelled by an operator'))?.status).toBe('cancelled');
    expect((await c.browse({ status: 'cancelled' })).map((m) => m.id)).toEqual(['m2']);
    expect((await c.history('m2')).map((h) => [h.status, h.note])).toEqual([['cancelled', 'Cancelled by an operator']]);

    // m3 failed; its retry is inserted once.
    await store.outbox.claimHeads('w1', 5_000, 60_000, 10);
    await store.outbox.markSendingMany('w1', ['m3'], 5_000);
    await store.outbox.finish('m3', 'w1', 'failed', { code: 10, subcode: null, message: 'refused' }, 5_000);
    const old = (await store.outbox.get('m3'))!;
    const first = await c.insertRetry(old, 'r1', 6_000);
    const second = await c.insertRetry(old, 'r2', 6_001);
    expect([first.message.id, first.existed, first.message.retryOf]).toEqual(['r1', false, 'm3']);
    expect([second.message.id, second.existed]).toEqual(['r1', true]);
    expect(await c.retriesOf('m3')).toEqual(['r1']);
    expect((await store.outbox.get('m3'))?.status).toBe('failed');
    expect((await store.outbox.get('r1'))?.payload).toBe(old.payload);

    // Removing Page 111: its waiting messages (m4; m1 is claimed) are cancelled, its token deleted.
    const removed = await c.removePage('111', 7_000);
    expect(removed).toEqual({ cancelled: ['m4'], tokensDeleted: 1 });
    expect(await store.pageTokens.listForPage('111')).toEqual([]);
    expect((await store.pageTokens.listForPage('222')).length).toBe(1);
    expect((await store.pages.get('111'))?.removedAt).not.toBeNull();

    await store.audit.append({ event: 'message_retried', pageId: '222', at: new Date(8_000) });
    await store.audit.append({ event: 'page_removed', pageId: '111', at: new Date(9_000) });
    expect((await store.audit.list({ event: 'page_removed' })).map((e) => e.pageId)).toEqual(['111']);
    expect((await store.audit.list({ since: new Date(8_500) })).map((e) => e.event)).toEqual(['page_removed']);
    expect(await store.audit.kinds()).toEqual(['message_retried', 'page_removed']);

    expect(await c.openWindowCount('222', 0)).toBe(0);
    await store.conversations.recordInbound('222', 'p9', new Date(10_000));
    expect(await c.openWindowCount('222', 9_000)).toBe(1);
    expect(await c.openWindowCount('222', 11_000)).toBe(0);

    // A data deletion takes the deleted Pages' messages and their history with it.
    expect((await c.history('m3')).length).toBe(1);
    await store.users.deleteWithData('900');
    expect(await store.outbox.get('m3')).toBeUndefined();
    expect(await c.history('m3')).toEqual([]);

    // 0013 undoes and applies again.
    const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect), migrationTableName: 'kysely_migration' });
    const down = await migrator.migrateTo('0009_instagram');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toContain('0013_outbox_console');
    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
  });
});
