/**
 * The worker claims many messages in one statement, and marks the ones its throttle releases
 * `sending` in one statement right before their POSTs. The batch must still respect each
 * person's order (never two of one person's messages out at once). A worker that dies after
 * marking `sending` (its POSTs may have left) leaves those messages `unknown` after a restart,
 * not re-sent blindly, or queued again for callers who chose at-least-once; what it had only
 * claimed (never marked `sending`) is taken over and sent once (nothing lost).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createOutboxRepository, type OutboxRepository } from '../../src/store/outbox-repository.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openDatabase } from '../../src/store/open-database.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-batch-claim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function memoryRepo(): Promise<OutboxRepository> {
  const { db, dialect } = await openDatabase('sqlite::memory:');
  onTestFinished(() => db.destroy());
  await migrateToLatest(db, dialect);
  return createOutboxRepository(db, dialect);
}

async function enqueue(repo: OutboxRepository, pageId: string, psid: string, text: string): Promise<string> {
  const id = `${pageId}-${psid}-${text}`;
  await repo.insert({ id, pageId, psid, payload: JSON.stringify({ messaging_type: 'RESPONSE', message: { text } }), idempotencyKey: null, atLeastOnce: false, at: new Date(1_000) });
  return id;
}

const NOW = 10_000;
const LEASE = 30_000;

describe('a batch claim', () => {
  it("takes only each person's oldest message, and the next one only after it is final", async () => {
    const repo = await memoryRepo();
    // Interleaved: 3 people on page A, 2 on page B, 4 messages each.
    for (let i = 0; i < 4; i++) {
      for (const [page, person] of [['A', 'p1'], ['A', 'p2'], ['A', 'p3'], ['B', 'p1'], ['B', 'p4']] as const) await enqueue(repo, page, person, `m${i}`);
    }

    const first = await repo.claimHeads('w1', NOW, LEASE, 100);
    expect(first.map((m) => m.id).sort()).toEqual(['A-p1-m0', 'A-p2-m0', 'A-p3-m0', 'B-p1-m0', 'B-p4-m0']);
    expect(first.every((m) => m.attempts === 0)).toBe(true);
    expect(await repo.get('A-p1-m0')).toMatchObject({ status: 'queued', claimedBy: 'w1' });
    expect(await repo.markSendingMany('w1', ['A-p1-m0', 'B-p1-m0'], NOW)).toEqual(new Set(['A-p1-m0', 'B-p1-m0']));
    expect(await repo.get('A-p1-m0')).toMatchObject({ status: 'sending', attempts: 1 });
    // Another worker cannot mark what it did not claim.
    expect(await repo.markSendingMany('w2', ['A-p2-m0'], NOW)).toEqual(new Set());

    // Neither a second worker's full claim nor a follow-on claim finds anything while the heads are out.
    expect(await repo.claimHeads('w2', NOW, LEASE, 100)).toEqual([]);
    expect(await repo.claimHeads('w2', NOW, LEASE, 100, { recipients: [{ pageId: 'A', psid: 'p1' }] })).toEqual([]);

    // A's p1 is sent, B's p1 is held back for a retry: only A/p1 moves on.
    await repo.applyOutcomes(
      'w1',
      [
        { kind: 'sent', id: 'A-p1-m0', messageId: 'mid-1' },
        { kind: 'requeue', id: 'B-p1-m0', at: NOW + 5_000, error: null },
      ],
      NOW,
    );
    expect(await repo.get('A-p1-m0')).toMatchObject({ status: 'sent', messageId: 'mid-1', claimedBy: null });
    const next = await repo.claimHeads('w1', NOW, LEASE, 100, { recipients: [{ pageId: 'A', psid: 'p1' }, { pageId: 'B', psid: 'p1' }] });
    expect(next.map((m) => m.id)).toEqual(['A-p1-m1']);
    // B/p1's retry is not due yet, and its later messages wait behind it.
    expect(await repo.claimHeads('w2', NOW, LEASE, 100)).toEqual([]);
    const later = await repo.claimHeads('w2', NOW + 5_000, LEASE, 100);
    expect(later.map((m) => m.id)).toEqual(['B-p1-m0']);
    expect(later[0]!.attempts).toBe(1);
  });

  it('never holds two messages of one person, claim after claim, until all are sent in order', async () => {
    const repo = await memoryRepo();
    const people = ['p1', 'p2', 'p3'];
    for (let i = 0; i < 6; i++) for (const p of people) await enqueue(repo, 'A', p, `m${i}`);
    const sentOrder: string[] = [];
    for (let round = 0; round < 40 && sentOrder.length < 18; round++) {
      // Two workers claim with small limits, alternating full and follow-on claims.
      const a = await repo.claimHeads('w1', NOW, LEASE, 2);
      const b = await repo.claimHeads('w2', NOW, LEASE, 2, round % 2 === 0 ? { recipients: people.map((psid) => ({ pageId: 'A', psid })) } : {});
      const out = [...a, ...b];
      await repo.markSendingMany('w1', a.map((m) => m.id), NOW);
      await repo.markSendingMany('w2', b.map((m) => m.id), NOW);
      const sending = (await repo.list({ status: 'sending' })).map((m) => m.psid);
      expect(new Set(sending).size).toBe(sending.length);
      expect(sending).toHaveLength(out.length);
      for (const m of a) await repo.applyOutcomes('w1', [{ kind: 'sent', id: m.id, messageId: `mid-${m.id}` }], NOW);
      for (const m of b) await repo.applyOutcomes('w2', [{ kind: 'sent', id: m.id, messageId: `mid-${m.id}` }], NOW);
      sentOrder.push(...out.map((m) => m.id));
    }
    for (const p of people) expect(sentOrder.filter((id) => id.startsWith(`A-${p}-`))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `A-${p}-m${i}`));
  });

  it('gives back what was never posted without counting an attempt', async () => {
    const repo = await memoryRepo();
    await enqueue(repo, 'A', 'p1', 'm0');
    const [m] = await repo.claimHeads('w1', NOW, LEASE, 10);
    await repo.applyOutcomes('w1', [{ kind: 'release', id: m!.id, at: NOW + 100 }], NOW);
    expect(await repo.get(m!.id)).toMatchObject({ status: 'queued', attempts: 0, claimedBy: null });
  });

  it('leaves an expired claim that was never marked sending to the next worker', async () => {
    const repo = await memoryRepo();
    await enqueue(repo, 'A', 'p1', 'm0');
    await repo.claimHeads('w1', NOW, 1_000, 10);
    expect(await repo.claimHeads('w2', NOW + 500, LEASE, 10)).toEqual([]);
    expect(await repo.recoverExpired(NOW + 1_000)).toBe(0);
    expect((await repo.claimHeads('w2', NOW + 1_000, LEASE, 10)).map((m) => m.id)).toEqual(['A-p1-m0']);
    // The first worker, back from a stall, can no longer send it.
    expect(await repo.markSendingMany('w1', ['A-p1-m0'], NOW + 1_001)).toEqual(new Set());
  });
});

describe('a worker that dies between its claim and its POSTs', () => {
  it('leaves what it marked sending unknown (at-least-once ones go out once) and what it only claimed is sent once', { timeout: 30_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'claim-crash.db')}` });
    const other = await w.person();
    const third = await w.person();
    const risky = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'maybe-sent'));
    const retried = await w.pk.messenger.enqueue(w.pageId, textBody(other, 'send-again'), { atLeastOnce: true });
    const waiting = await w.pk.messenger.enqueue(w.pageId, textBody(third, 'was-waiting-for-the-throttle'));
    const behind = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'after-the-unknown-one'));

    // The "dead" worker, on its own connection to the same file: it claimed three heads and
    // marked two `sending` (their POSTs may have left), then died.
    const { db, dialect } = await openDatabase(w.database);
    onTestFinished(() => db.destroy());
    const dead = createOutboxRepository(db, dialect);
    const claimed = await dead.claimHeads('dead-worker', Date.now(), 300, 100);
    expect(claimed.map((m) => m.id).sort()).toEqual([risky.id, retried.id, waiting.id].sort());
    expect(await dead.markSendingMany('dead-worker', [risky.id, retried.id], Date.now())).toEqual(new Set([risky.id, retried.id]));

    w.pk.messenger.startWorker({ pollMs: 20, recoverEveryMs: 50 });
    const counts = await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 3 && c.unknown === 1);
    expect(counts).toMatchObject({ queued: 0, sending: 0, unknown: 1, sent: 3 });
    expect(await w.pk.messenger.getMessage(risky.id)).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(await w.pk.messenger.getMessage(retried.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await w.pk.messenger.getMessage(waiting.id)).toMatchObject({ status: 'sent', attempts: 1 });
    // The person's next message was not blocked for good by the unknown one.
    expect(await w.pk.messenger.getMessage(behind.id)).toMatchObject({ status: 'sent', attempts: 1 });

    const texts = (await w.sent()).map((m) => m.message?.text);
    expect(texts).not.toContain('maybe-sent');
    for (const t of ['send-again', 'was-waiting-for-the-throttle', 'after-the-unknown-one']) expect(texts.filter((x) => x === t)).toHaveLength(1);
  });
});
