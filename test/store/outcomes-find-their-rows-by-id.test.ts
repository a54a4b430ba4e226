/**
 * The worker's per-batch writes (the `sending` marks, sent outcomes, releases) find their rows
 * through the unique id index on SQLite, not by walking every queued row. Without statistics
 * SQLite's planner preferred the (status, next_attempt_at) index for `status = ?` beside
 * `id in (...)`: each batch then read the whole queue, 3 ms a statement at 20,000 queued, and a
 * lone worker sent at half its Pages' cap. What is asserted is SQLite's own plan for the
 * statements the repository ran, and that the writes did what they say.
 */
import { CompiledQuery, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { createOutboxRepository } from '../../src/store/outbox-repository.js';
import { databaseBackends } from '../helpers/databases.js';

const [sqlite] = (await databaseBackends('store')).filter((b) => b.name === 'sqlite');

describe('outcome writes on SQLite', () => {
  let store: Store;
  beforeAll(async () => {
    store = await createStore({ database: await sqlite!.fresh(), keys: generateKeyEntry('k1') });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('mark, send and release a batch by the id index while 2,000 messages wait', async () => {
    await store.pages.upsert({ id: '100', name: 'P' });
    const at = new Date('2030-01-01T00:00:00.000Z');
    await store.transaction(async (tx) => {
      for (let i = 0; i < 2_000; i++) {
        await tx.outbox.insert({ id: `m${i}`, pageId: '100', psid: `u${i}`, payload: '{"message":{"text":"hi"}}', idempotencyKey: null, atLeastOnce: false, at });
      }
    });
    const now = at.getTime() + 1_000;
    const claimed = await store.outbox.claimHeads('w1', now, 60_000, 6);
    expect(claimed).toHaveLength(6);
    const ids = claimed.map((m) => m.id);

    // The statements this repository runs, as SQLite will run them.
    const ran: CompiledQuery[] = [];
    const capture: KyselyPlugin = {
      transformQuery: (args) => {
        ran.push(store.db.getExecutor().compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const repo = createOutboxRepository(store.db.withPlugin(capture), 'sqlite');
    const marked = await repo.markSendingMany('w1', ids.slice(0, 4), now);
    expect([...marked].sort()).toEqual(ids.slice(0, 4).sort());
    await repo.applyOutcomes(
      'w1',
      [
        ...ids.slice(0, 4).map((id) => ({ kind: 'sent' as const, id, messageId: `mid.${id}` })),
        ...ids.slice(4).map((id) => ({ kind: 'release' as const, id, at: now + 5_000 })),
      ],
      now,
    );
    expect((await store.outbox.get(ids[0]!))?.status).toBe('sent');
    expect((await store.outbox.get(ids[5]!))).toMatchObject({ status: 'queued', claimedBy: null });

    const updates = ran.filter((q) => /^update "outbox"/.test(q.sql) && /"id" in/.test(q.sql));
    // The mark, the sent outcome and the release.
    expect(updates.length).toBeGreaterThanOrEqual(3);
    for (const q of updates) {
      const plan = (await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).rows.map((r) => r.detail);
      expect(plan.join(' | '), q.sql).toMatch(/USING INDEX sqlite_autoindex_outbox_\d+ \(id=\?\)/);
      expect(plan.join(' | '), q.sql).not.toMatch(/outbox_status_next/);
    }
  });
});
