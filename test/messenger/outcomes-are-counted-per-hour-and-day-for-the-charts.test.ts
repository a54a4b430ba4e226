/**
 * The dashboard's charts read rollups the outbox writes with its outcomes: every message sent,
 * failed or held lands in its Page's hour and day bucket, on SQLite and PostgreSQL; the
 * rate-budget use the send throttle read from Facebook's usage headers lands in the hour too; and
 * pruning keeps the rollups to a fixed number of rows per Page however long pagekeeper runs.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, POSTGRES_SHARDS, dayOf, hourOf } from '../../src/store/activity-rollup-repository.js';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { databaseBackends } from '../helpers/databases.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

const dbs = await databaseBackends('chart rollups');

describe.each(dbs)('on $name', (db) => {
  beforeEach((ctx) => {
    if (db.skipped) ctx.skip(db.skipped);
  });

  it('messages sent, failed and held are counted in their Page hour and day', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: await db.fresh() });
    const rollups = w.pk.context.store.rollups;
    const startedAt = Date.now();
    w.pk.messenger.startWorker({ pollMs: 20 });

    for (let i = 0; i < 5; i++) await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `hello ${i}`));
    // Two people Facebook does not know (pagekeeper saw them write, so the window is open): 100/2018001.
    for (const psid of ['7000000000000001', '7000000000000002']) {
      await w.pk.messenger.recordInbound(w.pageId, psid, Date.now());
      await w.pk.messenger.enqueue(w.pageId, textBody(psid, 'to nobody'));
    }
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 5 && c.failed === 2);
    // The Page's only admin changes their password: the next message is held.
    await w.emu.control.event(w.emu.users[0]!.id, 'password_changed');
    await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'after the password change'));
    await waitFor(() => w.pk.messenger.counts(), (c) => c.held === 1);
    await w.pk.messenger.stop();

    // (A test that straddles midnight or the hour sees two buckets; both are summed.)
    const sum = (rows: Array<{ sent: number; failed: number; held: number; unknown: number }>) =>
      rows.reduce((t, r) => ({ sent: t.sent + r.sent, failed: t.failed + r.failed, held: t.held + r.held, unknown: t.unknown + r.unknown }), { sent: 0, failed: 0, held: 0, unknown: 0 });
    const hours = await rollups.messages('hour', hourOf(startedAt), w.pageId);
    expect(hours.length).toBeGreaterThanOrEqual(1);
    expect(hours[0]!.bucket).toBe(hourOf(startedAt));
    expect(sum(hours)).toEqual({ sent: 5, failed: 2, held: 1, unknown: 0 });
    expect(sum(await rollups.messages('day', dayOf(startedAt), w.pageId))).toEqual({ sent: 5, failed: 2, held: 1, unknown: 0 });
    // Every Page together, and another Page alone.
    expect(sum(await rollups.messages('hour', hourOf(startedAt)))).toEqual({ sent: 5, failed: 2, held: 1, unknown: 0 });
    expect(await rollups.messages('hour', hourOf(startedAt), w.emu.users[0]!.pages[1]!.id)).toEqual([]);
    // The hourly rows agree with the outbox itself.
    const c = await w.pk.messenger.counts();
    expect([c.sent, c.failed, c.held]).toEqual([5, 2, 1]);

    // The throttle read the usage headers of those sends: this hour has the Page's peak.
    const usage = await rollups.usage(hourOf(startedAt), w.pageId);
    expect(usage.length).toBeGreaterThanOrEqual(1);
    expect(usage[0]!.maxPercent).toBeGreaterThanOrEqual(0);
    expect(usage[0]!.maxPercent).toBeLessThanOrEqual(100);
  });

  it('pruning keeps 48 hours and 31 days of buckets per Page, whatever ran before', { timeout: 60_000 }, async () => {
    const store = await createStore({ database: await db.fresh(), keys: generateKeyEntry('t1') });
    try {
      const now = Date.UTC(2026, 11, 2, 1, 30);
      // Forty days of hourly outcomes for two Pages, a message every hour.
      const counts = [];
      for (let t = now - 40 * DAY_MS; t <= now; t += HOUR_MS) for (const pageId of ['111', '222']) counts.push({ pageId, at: t, sent: 1 });
      await store.rollups.addOutcomes(counts);
      await store.rollups.addUsage(counts.map((c) => ({ pageId: c.pageId, at: c.at, percent: 40 })));
      const rows = async (table: 'message_rollups' | 'page_usage_rollups') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      // Buckets (on PostgreSQL a bucket may be spread over a few shard rows, summed when read).
      const buckets = async () => (await store.db.selectFrom('message_rollups').select(['page_id', 'span', 'bucket']).distinct().execute()).length;
      const shards = db.name === 'postgres' ? POSTGRES_SHARDS : 1;
      expect(await buckets()).toBe(2 * (961 + 41));

      const deleted = await store.rollups.prune(now);
      expect(deleted).toBeGreaterThan(0);
      // Per Page: the current hour and the 48 before it, the current day and the 31 before it.
      expect(await buckets()).toBe(2 * (49 + 32));
      expect(await rows('message_rollups')).toBeLessThanOrEqual(2 * (49 + 32) * shards);
      expect(await rows('page_usage_rollups')).toBe(2 * 49);
      // The buckets still shown hold every message of their time.
      const hours = await store.rollups.messages('hour', hourOf(now) - 23 * HOUR_MS, '111');
      expect(hours.map((h) => h.sent)).toEqual(Array.from({ length: 24 }, () => 1));
      const days = await store.rollups.messages('day', dayOf(now) - 29 * DAY_MS, '111');
      // 29 whole days, then today's two hours so far (00:30 and 01:30).
      expect(days.map((d) => d.sent)).toEqual([...Array.from({ length: 29 }, () => 24), 2]);
      // A second prune deletes nothing more.
      expect(await store.rollups.prune(now)).toBe(0);

      // Pages by status: the last look in an hour replaces the earlier ones; old hours go.
      await store.pages.upsert({ id: '111', name: 'One' });
      await store.rollups.recordPageStatuses(now - 40 * DAY_MS);
      await store.rollups.recordPageStatuses(now);
      await store.pages.upsert({ id: '222', name: 'Two' });
      await store.rollups.recordPageStatuses(now);
      await store.rollups.prune(now);
      const statuses = await store.rollups.pageStatuses(0);
      expect(statuses).toHaveLength(1);
      expect(statuses[0]!.bucket).toBe(hourOf(now));
      expect(Object.values(statuses[0]!.pages).reduce((a, b) => a + b, 0)).toBe(2);
    } finally {
      await store.close();
    }
  });
});
