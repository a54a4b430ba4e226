/**
 * Several instances on one database take each Page's send slots from one schedule
 * (src/messenger/page-slots.ts), on SQLite and PostgreSQL, with real time: together they keep
 * to the Page's cap in every second, each gets slots in proportion to what it has waiting, one
 * alone on a Page has all of it at once, a quiet Page's send goes at once, Pages are kept apart,
 * a send given back before its slot leaves the schedule to the others, and a database that
 * refuses reservations sends them back to local pacing.
 */
import { setMaxListeners } from 'node:events';
import { describe, beforeEach, expect, it, onTestFinished } from 'vitest';
import { RESERVE_AHEAD_MS, createPageSlots, type PageSlots } from '../../src/messenger/page-slots.js';
import { intervalUs } from '../../src/messenger/throttle.js';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import type { OutboxSlotRepository } from '../../src/store/outbox-slot-repository.js';
import { databaseBackends } from '../helpers/databases.js';

const dbs = await databaseBackends('page slots');
const PAGE = '1001';
const RATE = 50;

interface Instance {
  slots: PageSlots;
  /** Its database calls fail (true) or work again (false). */
  failing(on: boolean): void;
  warnings: string[];
  /** `n` sends for the key, each waiting for its slot's time. @returns when each went (ms since the epoch). */
  send(n: number, key?: string, signal?: AbortSignal): Promise<number[]>;
}

function instance(store: Store): Instance {
  let failing = false;
  const warnings: string[] = [];
  const repo: OutboxSlotRepository = {
    reserve: (r) => (failing ? Promise.reject(new Error('gone')) : store.outboxSlots.reserve(r)),
    prune: (b) => (failing ? Promise.reject(new Error('gone')) : store.outboxSlots.prune(b)),
  };
  const slots = createPageSlots({ repo, warn: (m) => warnings.push(m) });
  onTestFinished(slots.attach());
  return {
    slots,
    warnings,
    failing: (on) => {
      failing = on;
    },
    async send(n, key = PAGE, signal) {
      return Promise.all(
        Array.from({ length: n }, async () => {
          const at = await slots.take(key, intervalUs(RATE), Date.now() * 1000, signal);
          if (at === undefined) return -1;
          if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
          return at;
        }),
      );
    },
  };
}

/** The most slots starting in any one second. */
function mostInASecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.each(dbs)('each Page on $name has one send schedule for every instance', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  async function openStore(): Promise<Store> {
    const store = await createStore({ database: await backend.fresh(), keys: generateKeyEntry('k1') });
    onTestFinished(() => store.close());
    return store;
  }

  it("keeps two instances' sends together under the Page's cap, each sending in proportion to what it has waiting", async () => {
    const store = await openStore();
    const a = instance(store);
    const b = instance(store);
    const started = Date.now();
    const [sa, sb] = await Promise.all([a.send(60), b.send(30)]);
    const all = [...sa!, ...sb!];
    // 90 sends at 50/s: never more than 50 in a second, and no slot taken twice.
    expect(mostInASecond(all)).toBeLessThanOrEqual(RATE);
    expect(new Set(all).size).toBe(90);
    // Nobody's share sat idle: the 90 slots follow each other (about 1.8 s), whoever took them.
    expect(Math.max(...all) - started).toBeLessThan((90 / RATE) * 1000 + 400);
    // While both had sends waiting, both got slots: b's 30 are not all after a's 60.
    expect(Math.min(...sb!)).toBeLessThan(Math.max(...sa!));
  });

  it('gives an instance alone on a Page all of it at once, and a quiet Page its send at once', async () => {
    const store = await openStore();
    const a = instance(store);
    const before = Date.now();
    const [first] = await a.send(1);
    expect(first! - before).toBeLessThan(50);
    const started = Date.now();
    const times = await a.send(50);
    // 50 at 50/s: one second of slots, not half of it while another instance could have come.
    expect(Math.max(...times) - started).toBeLessThan(1000 + 300);
    expect(mostInASecond(times)).toBeLessThanOrEqual(RATE);
  });

  it('keeps Pages apart: a busy Page does not delay another', async () => {
    const store = await openStore();
    const a = instance(store);
    const b = instance(store);
    const busy = a.send(50, 'busy');
    await new Promise((r) => setTimeout(r, 100));
    const before = Date.now();
    const [other] = await b.send(1, 'quiet');
    expect(other! - before).toBeLessThan(50);
    await busy;
  });

  it('takes slots only just ahead of now: a send given back before its slot leaves the schedule to the others', async () => {
    const store = await openStore();
    const a = instance(store);
    const b = instance(store);
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    // a has 50 sends waiting; after 200 ms its person changes hands and they are given back.
    const given = a.send(50, PAGE, stop.signal).catch(() => 'given back');
    await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    expect(await given).toBe('given back');
    const before = Date.now();
    const [next] = await b.send(1);
    // a held no more than RESERVE_AHEAD_MS of the schedule (and what b waited for is at most that).
    expect(next! - before).toBeLessThanOrEqual(RESERVE_AHEAD_MS + 2 * (1000 / RATE) + 50);
  });

  it('answers undefined (pace locally) while the database refuses reservations, and shares slots again once it takes them', async () => {
    const store = await openStore();
    const a = instance(store);
    expect(a.slots.active).toBe(true);
    a.failing(true);
    expect(await a.send(1)).toEqual([-1]);
    expect(a.slots.active).toBe(false);
    expect(a.warnings.join('\n')).toMatch(/outbox_page_slots\) refused a reservation; pacing locally/);
    a.failing(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect(a.slots.active).toBe(true);
    const [at] = await a.send(1);
    expect(at).toBeGreaterThan(0);
  });
});
