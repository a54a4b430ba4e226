/**
 * An instance that dies holding claims: once its heartbeat (a third of the claims' lease) lapses,
 * a live worker expires its claims and carries on, instead of waiting for the claims' own expiry.
 * Its queued heads are sent, in each person's order, and the message it had marked `sending`
 * (maybe sent when it died) ends `unknown`. An instance whose heartbeat is kept alive keeps its
 * claims. The dead instance is played by a second store on the same database: it claims and
 * marks through the repository, as a worker would, and then stops renewing its heartbeat.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { databaseBackends } from '../helpers/databases.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

/** Claims that would last a minute: anything sent within the test's waits was taken over early. */
const LEASE_MS = 60_000;
const dbs = await databaseBackends('dead instance takeover');

describe.each(dbs)('on $name', (db) => {
  async function world() {
    const w = await startMessengerWorld({ database: await db.fresh() });
    const other: Store = await createStore({ database: w.database, keys: w.keys });
    onTestFinished(() => other.close());
    return { w, other };
  }

  it('sends a dead instance’s claimed messages once its heartbeat lapses, and marks the one it was sending unknown', { timeout: 30_000 }, async (ctx) => {
    if (db.skipped) ctx.skip(db.skipped);
    const { w, other } = await world();
    const bob = await w.person();
    const alice: string[] = [];
    for (let i = 0; i < 3; i++) alice.push((await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `a-${i}`))).id);
    const bobs = (await w.pk.messenger.enqueue(w.pageId, textBody(bob, 'b-0'))).id;

    // The other instance claims both heads and marks Bob's `sending`, then dies: its heartbeat
    // lapses in 600 ms, its claims would last a minute.
    await other.leases.acquire('outbox-worker:ghost', 'ghost', 600);
    const claimed = await other.outbox.claimHeads('ghost', Date.now(), LEASE_MS, 10);
    expect(claimed.map((m) => m.id).sort()).toEqual([alice[0]!, bobs].sort());
    expect([...(await other.outbox.markSendingMany('ghost', [bobs], Date.now()))]).toEqual([bobs]);

    const worker = w.pk.messenger.startWorker({ leaseMs: LEASE_MS });
    onTestFinished(() => worker.stop());
    const sent = await waitFor(() => w.sent(), (s) => s.filter((m) => m.recipientId === w.psid).length === 3, 15_000);
    expect(sent.filter((m) => m.recipientId === w.psid).map((m) => m.message?.text)).toEqual(['a-0', 'a-1', 'a-2']);
    // The outcomes are written a moment after the emulator has the messages.
    const rows = await waitFor(
      () => w.pk.messenger.list({ limit: 10 }),
      (r) => r.every((m) => m.status === 'sent' || m.status === 'unknown'),
      10_000,
    );
    expect(rows.find((m) => m.id === bobs)?.status).toBe('unknown');
    expect(rows.filter((m) => alice.includes(m.id)).map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);
    // Bob's message may have gone out when the instance died: nobody sends it again.
    expect(sent.filter((m) => m.recipientId === bob)).toEqual([]);
  });

  it('leaves the claims of an instance whose heartbeat is kept alive', { timeout: 30_000 }, async (ctx) => {
    if (db.skipped) ctx.skip(db.skipped);
    const { w, other } = await world();
    const first = (await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'a-0'))).id;
    await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'a-1'));
    await other.leases.acquire('outbox-worker:alive', 'alive', 1_000);
    expect((await other.outbox.claimHeads('alive', Date.now(), LEASE_MS, 10)).map((m) => m.id)).toEqual([first]);
    let beating = true;
    const beat = setInterval(() => void (beating ? other.leases.acquire('outbox-worker:alive', 'alive', 1_000) : undefined), 200);
    onTestFinished(() => clearInterval(beat));

    const worker = w.pk.messenger.startWorker({ leaseMs: LEASE_MS });
    onTestFinished(() => worker.stop());
    // Several live counts and scans go by: the person's head stays the other instance's.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await w.sent()).toEqual([]);
    expect((await w.pk.messenger.list({ limit: 10 })).map((m) => m.status)).toEqual(['queued', 'queued']);

    // Its heartbeat stops: both go out, in order.
    beating = false;
    const sent = await waitFor(() => w.sent(), (s) => s.length === 2, 15_000);
    expect(sent.map((m) => m.message?.text)).toEqual(['a-0', 'a-1']);
  });
});
