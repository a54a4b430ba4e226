/**
 * Over a real network the outbox's throughput is POSTs in flight / round trip. With the
 * emulator answering in 200 ms, three Pages at 95 sends/s need ~57 POSTs in flight: the worker
 * goes past the old fixed 16 when the budget needs it, never past `messenger.maxInFlight`, and
 * stays at 16 or fewer when it does not; Facebook's per-Page limit (the emulator's, 100/s) is
 * never hit, so no throttle error is surfaced, and every message goes out exactly once.
 */
import { describe, expect, it } from 'vitest';
import { startMessengerWorld, textBody } from '../helpers/messenger.js';

const THROTTLE_CODES = new Set([4, 17, 32, 613, 80001, 80006]);

async function run(options: { pages: number; perPage: number; people: number; maxPerSecond: number; maxInFlight?: number }) {
  const w = await startMessengerWorld({ messenger: { maxPerSecond: options.maxPerSecond, ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }) } });
  const pageIds = w.emu.users[0]!.pages.slice(0, options.pages).map((p) => p.id);
  const people = new Map<string, string[]>();
  for (const pageId of pageIds) people.set(pageId, await Promise.all(Array.from({ length: options.people }, () => w.person(pageId))));
  for (let i = 0; i < options.perPage; i++) {
    for (const pageId of pageIds) {
      const psids = people.get(pageId)!;
      await w.pk.messenger.enqueue(pageId, textBody(psids[i % psids.length]!, `m ${pageId} ${i}`));
    }
  }
  for (const pageId of pageIds) await w.emu.control.setLimits({ enabled: true, pageId, sendPerSecond: 100 });
  await w.emu.control.setLatency({ ms: 200, match: '/messages' });
  const worker = w.pk.messenger.startWorker();
  let highest = 0;
  const sampler = setInterval(() => (highest = Math.max(highest, worker.posts.inFlight)), 5);
  try {
    await worker.idle();
  } finally {
    clearInterval(sampler);
  }
  const peak = worker.posts.peak;
  const latencyMs = worker.posts.latencyMs;
  await worker.stop();
  const rows = await w.pk.messenger.list({ limit: 10_000 });
  const texts: string[] = [];
  for (const pageId of pageIds) for (const m of await w.sent(pageId)) texts.push(m.message?.text ?? '');
  return { peak, highest, latencyMs, rows, texts, total: pageIds.length * options.perPage };
}

describe('outbox POSTs in flight at a 200 ms round trip', () => {
  it('rises above 16 when three Pages at 95/s need ~57, never past messenger.maxInFlight, with no throttle error', { timeout: 60_000 }, async () => {
    const r = await run({ pages: 3, perPage: 150, people: 30, maxPerSecond: 95, maxInFlight: 40 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(190);
    expect(r.peak).toBeGreaterThan(16);
    expect(r.peak).toBeLessThanOrEqual(40);
    expect(r.highest).toBeLessThanOrEqual(40);
    expect(r.rows.filter((m) => m.status === 'sent')).toHaveLength(r.total);
    expect(r.rows.filter((m) => m.error?.code != null && THROTTLE_CODES.has(m.error.code))).toEqual([]);
    expect(r.rows.every((m) => m.attempts === 1)).toBe(true);
    expect(r.texts).toHaveLength(r.total);
    expect(new Set(r.texts).size).toBe(r.total);
  });

  it('uses the default cap (1,024) only as far as the rate needs: the same work never needs 1,024', { timeout: 60_000 }, async () => {
    const r = await run({ pages: 3, perPage: 100, people: 30, maxPerSecond: 95 });
    expect(r.peak).toBeGreaterThan(16);
    // 3 x 95/s x 0.2 s x 2 (headroom) = 114.
    expect(r.peak).toBeLessThanOrEqual(120);
    expect(r.rows.filter((m) => m.status === 'sent')).toHaveLength(r.total);
    expect(r.rows.filter((m) => m.error?.code != null && THROTTLE_CODES.has(m.error.code))).toEqual([]);
    expect(new Set(r.texts).size).toBe(r.total);
  });

  it('stays at 16 or fewer when one Page at 20/s needs about 4', { timeout: 60_000 }, async () => {
    const r = await run({ pages: 1, perPage: 40, people: 10, maxPerSecond: 20 });
    expect(r.peak).toBeLessThanOrEqual(16);
    expect(r.rows.filter((m) => m.status === 'sent')).toHaveLength(r.total);
  });
});
