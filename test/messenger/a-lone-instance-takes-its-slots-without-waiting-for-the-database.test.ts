/**
 * An instance that counts itself the only one live takes each Page's slot within reach at once,
 * from its own copy of the schedule, and writes it to the database behind
 * (src/messenger/page-slots.ts, setSolo). So a lone worker's send does not wait behind its own
 * database work (on SQLite the worker's transactions hold the one connection), and a newcomer
 * still finds the lone instance's slots in the shared schedule and starts after them. The
 * database here answers after 150 ms, as a busy connection would.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { RESERVE_AHEAD_MS, createPageSlots } from '../../src/messenger/page-slots.js';
import { intervalUs } from '../../src/messenger/throttle.js';
import type { OutboxSlotRepository, SlotRequest } from '../../src/store/outbox-slot-repository.js';

const PAGE = '1001';
const RATE = 50;
const SLOW_MS = 150;

/** The shared schedule as outbox_page_slots keeps it: next = max(next, floor) + span, answered after SLOW_MS. */
function slowSchedule() {
  const next = new Map<string, number>();
  const seen: SlotRequest[] = [];
  const repo: OutboxSlotRepository = {
    async reserve(requests) {
      await new Promise((r) => setTimeout(r, SLOW_MS));
      const starts = new Map<string, number>();
      for (const r of requests) {
        seen.push(r);
        const start = Math.max(next.get(r.key) ?? 0, r.floorUs);
        next.set(r.key, start + r.spanUs);
        starts.set(r.key, start);
      }
      return starts;
    },
    prune: () => Promise.resolve(),
  };
  return { repo, seen, next };
}

function slotsOn(repo: OutboxSlotRepository, solo: boolean) {
  const slots = createPageSlots({ repo, warn: () => {} });
  onTestFinished(slots.attach());
  slots.setSolo(solo);
  return slots;
}

const take = (slots: ReturnType<typeof slotsOn>, key = PAGE) => slots.take(key, intervalUs(RATE), Date.now() * 1000);

describe('a lone instance and the shared send schedule', () => {
  it("takes an idle Page's slot at once while the database is slow, and writes it there behind", async () => {
    const db = slowSchedule();
    const alone = slotsOn(db.repo, true);
    const before = Date.now();
    const at = await take(alone);
    expect(Date.now() - before).toBeLessThan(SLOW_MS / 3);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at! - before).toBeLessThan(20);
    // The slot reaches the shared schedule: it covers the slot the lone instance took.
    await new Promise((r) => setTimeout(r, SLOW_MS + 50));
    expect(db.seen).toHaveLength(1);
    expect(db.seen[0]!.floorUs).toBe(Math.round(at! * 1000));
    expect(db.next.get(PAGE)).toBe(Math.round(at! * 1000 + intervalUs(RATE)));
  });

  it('waits for the database when other instances are live', async () => {
    const db = slowSchedule();
    const shared = slotsOn(db.repo, false);
    const before = Date.now();
    await take(shared);
    expect(Date.now() - before).toBeGreaterThanOrEqual(SLOW_MS - 5);
  });

  it("spaces its own slots at the Page's rate, and reserves (waits) for those beyond reach", async () => {
    const db = slowSchedule();
    const alone = slotsOn(db.repo, true);
    const before = Date.now();
    const n = Math.ceil((RESERVE_AHEAD_MS * RATE) / 1000) + 3;
    const times = await Promise.all(Array.from({ length: n }, () => take(alone)));
    const sorted = (times as number[]).slice().sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(1000 / RATE - 0.01);
    // Those within reach came at once; the later ones went through the (slow) database.
    expect(sorted[sorted.length - 1]! - before).toBeGreaterThan(RESERVE_AHEAD_MS);
    expect(new Set(sorted).size).toBe(n);
  });

  it("lets a newcomer start after the lone instance's slots, and moves its own copy past the newcomer's", async () => {
    const db = slowSchedule();
    // The schedule's clock stands still here, so the slots can be compared exactly.
    const clock = 1_900_000_000_000;
    const on = (solo: boolean) => {
      const slots = createPageSlots({ repo: db.repo, warn: () => {}, now: () => clock });
      onTestFinished(slots.attach());
      slots.setSolo(solo);
      return slots;
    };
    const step = intervalUs(RATE) / 1000;
    const at = (slots: ReturnType<typeof on>) => slots.take(PAGE, intervalUs(RATE), clock * 1000);
    const written = () => new Promise((r) => setTimeout(r, SLOW_MS + 50));
    const alone = on(true);
    const first = await at(alone);
    expect(first).toBe(clock);
    await written();
    // A newcomer reserving from the database starts after the lone instance's slot.
    const newcomer = on(false);
    expect(await at(newcomer)).toBe(clock + step);
    // The lone instance has not counted the newcomer yet: from its own copy it takes the same
    // slot (the transition's one overlap) ...
    expect(await at(alone)).toBe(clock + step);
    await written();
    // ... and its write's answer moves its copy past the newcomer's slot and its own, and
    // sends it through the database from then on, whatever its live count said.
    const before = Date.now();
    expect(await at(alone)).toBe(clock + 3 * step);
    expect(Date.now() - before).toBeGreaterThanOrEqual(SLOW_MS - 5);
  });

  it('takes a slot twice at most once or twice when a newcomer sends for the Page before the live count has seen it', async () => {
    // Both send for one Page for 600 ms; the lone instance counts itself alone throughout (as
    // instances started together do until their heartbeats land, or a long-lone instance until
    // its next count). The database answers in 5 ms, as PostgreSQL does at a quiet moment.
    const rate = 100;
    const step = intervalUs(rate) / 1000;
    const next = new Map<string, number>();
    const repo: OutboxSlotRepository = {
      async reserve(requests) {
        await new Promise((r) => setTimeout(r, 5));
        const starts = new Map<string, number>();
        for (const r of requests) {
          const start = Math.max(next.get(r.key) ?? 0, r.floorUs);
          next.set(r.key, start + r.spanUs);
          starts.set(r.key, start);
        }
        return starts;
      },
      prune: () => Promise.resolve(),
    };
    const alone = slotsOn(repo, true);
    const newcomer = slotsOn(repo, false);
    const until = Date.now() + 600;
    const send = async (slots: ReturnType<typeof slotsOn>, out: number[]) => {
      while (Date.now() < until) {
        const at = await slots.take(PAGE, intervalUs(rate), Date.now() * 1000);
        out.push(at!);
        await new Promise((r) => setTimeout(r, Math.max(0, at! - Date.now())));
      }
    };
    const mine: number[] = [];
    const theirs: number[] = [];
    await Promise.all([send(alone, mine), send(newcomer, theirs)]);
    // A slot taken twice: one of the lone instance's closer than the Page's interval to one of the newcomer's.
    const twice = mine.filter((a) => theirs.some((b) => Math.abs(a - b) < step - 0.01)).length;
    expect(theirs.length).toBeGreaterThan(10);
    expect(mine.length).toBeGreaterThan(10);
    expect(twice).toBeLessThanOrEqual(2);
    // Together they kept to the Page's rate: 100/s over 600 ms, and the slots within reach at the end.
    expect(mine.length + theirs.length).toBeLessThanOrEqual(Math.ceil((600 + RESERVE_AHEAD_MS) / step) + 3);
  });
});
