/**
 * Several instances on one database divide a Page's Send API budget among those sending for it
 * (src/messenger/page-senders.ts), on SQLite and PostgreSQL, with real time: a quiet Page's
 * message goes at once; a newcomer to a busy Page waits until the instance already sending has
 * counted it, so together they never exceed the cap; a sender that stops counting (a stalled
 * process) holds the newcomer back; an instance done with a Page, or dead, leaves its share to
 * the others.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { COUNT_EVERY_MS, GRACE_MS, MAX_JOIN_WAIT_MS, ROW_TTL_MS, STABLE_MS, createPageSenders, type PageSenders } from '../../src/messenger/page-senders.js';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import type { OutboxSenderRepository } from '../../src/store/outbox-sender-repository.js';
import { databaseBackends } from '../helpers/databases.js';

const dbs = await databaseBackends('page senders');
const PAGE = '1001';

interface Instance {
  senders: PageSenders;
  /** Its writes fail from now on, as if the process died (its timers keep running, its rows stop renewing). */
  die(): void;
  /** Its database calls fail again (true) or work again (false). */
  failing(on: boolean): void;
  /** One send for the Page: waits for `ready`, takes the slot. @returns how long it waited (ms). */
  send(key?: string): Promise<number>;
  /** Sends for the Page every 40 ms until stopped. */
  keepSending(key?: string): { stop(): Promise<void> };
}

function instance(store: Store, live: number): Instance {
  let dead = false;
  const repo: OutboxSenderRepository = {
    announce: (...a) => (dead ? Promise.reject(new Error('gone')) : store.outboxSenders.announce(...a)),
    withdraw: (...a) => (dead ? Promise.reject(new Error('gone')) : store.outboxSenders.withdraw(...a)),
    list: (...a) => (dead ? Promise.reject(new Error('gone')) : store.outboxSenders.list(...a)),
    prune: (...a) => (dead ? Promise.reject(new Error('gone')) : store.outboxSenders.prune(...a)),
  };
  const senders = createPageSenders({ repo, onDivisor: () => {}, warn: () => {} });
  const detach = senders.attach();
  onTestFinished(() => (dead ? undefined : detach()));
  senders.setLive(live);
  async function send(key = PAGE): Promise<number> {
    const started = performance.now();
    const wait = senders.ready(key);
    if (wait !== undefined) await wait;
    senders.begin(key);
    senders.end(key);
    return performance.now() - started;
  }
  return {
    senders,
    die: () => {
      dead = true;
    },
    failing: (on) => {
      dead = on;
    },
    send,
    keepSending(key = PAGE) {
      let on = true;
      const loop = (async () => {
        while (on) {
          await send(key);
          await sleep(40);
        }
      })();
      return {
        async stop() {
          on = false;
          await loop;
        },
      };
    },
  };
}

describe.each(dbs)('a Page budget on $name goes to the instances sending for it', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  async function openStore(): Promise<Store> {
    const store = await createStore({ database: await backend.fresh(), keys: generateKeyEntry('k1') });
    onTestFinished(() => store.close());
    return store;
  }

  it("sends a quiet Page's message at once; a newcomer to a busy Page waits until it is counted, then each takes half", async () => {
    const store = await openStore();
    const a = instance(store, 2);
    const b = instance(store, 2);
    // The live instances have been the same for a while: nobody is sending for the Page.
    await sleep(STABLE_MS + 20);
    expect(await a.send()).toBeLessThan(STABLE_MS);
    const busy = a.keepSending();
    await sleep(2 * COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(1);

    const waited = await b.send();
    // b waited for a's counts, and a had already halved its share when b was let go.
    expect(waited).toBeGreaterThanOrEqual(COUNT_EVERY_MS / 2);
    expect(a.senders.divisor(PAGE)).toBe(2);
    const bBusy = b.keepSending();
    await sleep(2 * COUNT_EVERY_MS);
    expect(b.senders.divisor(PAGE)).toBe(2);

    // b is done with the Page: once its grace is over, a takes the whole cap again.
    await bBusy.stop();
    await sleep(GRACE_MS + 3 * COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(1);
    await busy.stop();
  });

  it("takes a dead instance's share once its row lapses", async () => {
    const store = await openStore();
    const a = instance(store, 2);
    const b = instance(store, 2);
    const aBusy = a.keepSending();
    const bBusy = b.keepSending();
    await sleep(STABLE_MS + 3 * COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(2);
    b.die();
    await sleep(COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(2);
    await sleep(ROW_TTL_MS + 2 * COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(1);
    await aBusy.stop();
    b.die();
    // b's own sends stop once its row may have lapsed: it cannot know whether the others still count it.
    const stuck = await Promise.race([bBusy.stop().then(() => 'stopped'), sleep(500).then(() => 'waiting')]);
    expect(stuck).toBe('waiting');
  });

  it('never makes a lone instance wait, and its row is there for a newcomer to count', async () => {
    const store = await openStore();
    const a = instance(store, 1);
    expect(a.senders.ready(PAGE)).toBeUndefined();
    const busy = a.keepSending();
    await sleep(2 * COUNT_EVERY_MS);
    expect(((await store.outboxSenders.list([PAGE], Date.now())).get(PAGE) ?? []).map((r) => r.senderId)).toEqual([a.senders.id]);
    // A second instance joins: it waits, and the first counts it before it sends.
    const b = instance(store, 2);
    a.senders.setLive(2);
    expect(await b.send()).toBeGreaterThanOrEqual(COUNT_EVERY_MS / 2);
    expect(a.senders.divisor(PAGE)).toBe(2);
    await busy.stop();
  });

  it('keeps Pages apart: an instance alone on one Page has all of it while sharing another', async () => {
    const store = await openStore();
    const a = instance(store, 2);
    const b = instance(store, 2);
    const a1 = a.keepSending('2001');
    const a2 = a.keepSending('2002');
    const b2 = b.keepSending('2002');
    await sleep(STABLE_MS + 3 * COUNT_EVERY_MS);
    expect(a.senders.divisor('2001')).toBe(1);
    expect(a.senders.divisor('2002')).toBe(2);
    expect(b.senders.divisor('2002')).toBe(2);
    expect(b.senders.divisor('2001')).toBeUndefined();
    await Promise.all([a1.stop(), a2.stop(), b2.stop()]);
  });

  it('lets sends go at the live instances\' share when the database refuses the rows, until it takes them again', async () => {
    const store = await openStore();
    const a = instance(store, 2);
    const aBusy = a.keepSending();
    const b = instance(store, 2);
    b.failing(true);
    const waited = await b.send();
    expect(waited).toBeGreaterThanOrEqual(MAX_JOIN_WAIT_MS - 5);
    expect(b.senders.divisor(PAGE)).toBeUndefined();
    // Meanwhile nothing else waits.
    expect(await b.send()).toBeLessThan(50);
    b.failing(false);
    const bBusy = b.keepSending();
    await sleep(STABLE_MS + 4 * COUNT_EVERY_MS);
    expect(a.senders.divisor(PAGE)).toBe(2);
    expect(b.senders.divisor(PAGE)).toBe(2);
    await Promise.all([aBusy.stop(), bBusy.stop()]);
  });

  it('holds a newcomer back while the instance already sending has not counted it (a stalled process), and lets it go once that one lapses', async () => {
    const store = await openStore();
    const a = instance(store, 2);
    const aBusy = a.keepSending();
    await sleep(STABLE_MS + 2 * COUNT_EVERY_MS);
    // a stops counting (its database calls fail), its row still live for a while.
    a.failing(true);
    const b = instance(store, 2);
    const started = performance.now();
    await b.send();
    // b went only once a's row had lapsed, not after a fixed wait.
    expect(performance.now() - started).toBeGreaterThanOrEqual(ROW_TTL_MS - 4 * COUNT_EVERY_MS);
    expect(b.senders.divisor(PAGE)).toBe(1);
    a.failing(false);
    await aBusy.stop();
  });
});
