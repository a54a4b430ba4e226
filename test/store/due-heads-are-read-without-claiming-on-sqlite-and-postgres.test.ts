/**
 * The shared outbox's scan on both databases: dueHeads names each person whose oldest
 * unfinished message is due and unclaimed, oldest first, and claims nothing, so the same
 * people are still claimable (by the person probe) afterwards. A person whose head is claimed,
 * being sent, or not yet due is left out; a later message never stands in for its head.
 */
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { databaseBackends } from '../helpers/databases.js';

const dbs = await databaseBackends('due heads');
const NOW = 10_000;
const LEASE = 60_000;

describe.each(dbs)('due heads on $name', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  it('names each due, unclaimed head once, oldest first, and leaves them claimable', async () => {
    const store = await createStore({ database: await backend.fresh(), keys: generateKeyEntry('k1') });
    onTestFinished(() => store.close());
    const insert = (id: string, pageId: string, psid: string, at: number) =>
      store.outbox.insert({ id, pageId, psid, payload: JSON.stringify({ message: { text: id } }), idempotencyKey: null, atLeastOnce: false, at: new Date(at) });
    // Ann: two messages (her head is a1). Bob: his head is claimed by another worker. Cy: his
    // head is being sent. Di: one message. Ed: on another Page.
    await insert('a1', 'P1', 'ann', 1_000);
    await insert('b1', 'P1', 'bob', 1_100);
    await insert('c1', 'P1', 'cy', 1_200);
    await insert('a2', 'P1', 'ann', 1_300);
    await insert('b2', 'P1', 'bob', 1_400);
    await insert('c2', 'P1', 'cy', 1_500);
    await insert('d1', 'P1', 'di', 1_600);
    await insert('e1', 'P2', 'ed', 1_700);
    expect((await store.outbox.claimHeads('other', NOW, LEASE, 10, { recipients: [{ pageId: 'P1', psid: 'bob' }, { pageId: 'P1', psid: 'cy' }] })).map((m) => m.id)).toEqual(['b1', 'c1']);
    expect([...(await store.outbox.markSendingMany('other', ['c1'], NOW))]).toEqual(['c1']);

    const heads = await store.outbox.dueHeads(NOW, 10);
    expect(heads).toEqual([
      { pageId: 'P1', psid: 'ann' },
      { pageId: 'P1', psid: 'di' },
      { pageId: 'P2', psid: 'ed' },
    ]);
    expect(await store.outbox.dueHeads(NOW, 2)).toEqual(heads.slice(0, 2));
    expect(await store.outbox.dueHeads(NOW, 10, { excludePages: ['P2'] })).toEqual(heads.slice(0, 2));
    // Not due before their time.
    expect(await store.outbox.dueHeads(500, 10)).toEqual([]);

    // Nothing was claimed: the heads read are still there for the person probe.
    const claimed = await store.outbox.claimHeads('mine', NOW, LEASE, 10, { recipients: heads });
    expect(claimed.map((m) => m.id)).toEqual(['a1', 'd1', 'e1']);
    expect(await store.outbox.dueHeads(NOW, 10)).toEqual([]);
  });
});
