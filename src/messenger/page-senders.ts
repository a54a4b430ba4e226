/**
 * Which instances send for a Page right now, so the Page's Send API budget is divided among
 * them rather than among every live instance. Dividing by the live instances leaves an
 * instance's share idle once its own people for a Page are done (the others stay at a third
 * of the cap while the Page's last messages wait); dividing by the senders gives that share
 * to the instances still sending.
 *
 * One per Messenger (one per throttle), running while at least one outbox worker of it runs:
 * - every send for a Page (outbox or direct) passes `ready` before its throttle slot; the first
 *   one has a row `(page, sender)` written to `outbox_senders` at once, later ones only note
 *   the time;
 * - every COUNT_EVERY_MS the rows of the Pages sent for in the last GRACE_MS are renewed (TTL
 *   ROW_TTL_MS), the others deleted, and the live rows counted: the Page's cap here is its cap
 *   over that count;
 * - a newcomer to a Page (among several live instances) commits its row, then reads the Page's
 *   rows, and sends nothing until every other sender has counted it: each count renews the
 *   counter's row (`renewals` + 1) before it reads the rows, so once another sender's row has
 *   been renewed twice since the newcomer first saw it, that sender has finished a count that saw
 *   the newcomer and lowered its own share. A sender whose row lapses or goes is not waited for.
 *   No timer decides it: a busy event loop or a slow database makes the newcomer wait longer,
 *   never go early. Until it has counted the Page once sending, the newcomer takes the cap over
 *   the live instances, never more than what the others left. So the senders together stay under
 *   the cap as they come and go;
 * - the wait is skipped when the count shows nobody else on the Page and the live instances
 *   have been the same for STABLE_MS: each of them knows it is not alone, so each commits its
 *   row before sending, and of two newcomers at once the later to commit sees the earlier and
 *   waits. (An instance that believes itself alone sends before its row is written: right after
 *   the live instances change, nobody skips the wait.) A quiet Page's message does not wait;
 * - a sender whose row may have lapsed (its renewals failed or stalled for ROW_TTL_MS less a
 *   count) is a newcomer again: the others may have counted it out;
 * - an instance that dies stops renewing: its rows lapse within ROW_TTL_MS and the survivors take
 *   its share at their next count. Its claims on messages expire on their own (worker.ts).
 * A database that refuses the rows for MAX_JOIN_WAIT_MS lets waiting sends go at the cap over the
 * live instances (as before there were rows to count) until a count succeeds again.
 */
import { randomBytes } from 'node:crypto';
import type { OutboxSenderRepository, SenderRow } from '../store/outbox-sender-repository.js';

export const COUNT_EVERY_MS = 100;
/** A row's life without renewal: fifteen counts, so a slow database write or a stalled event loop does not drop it. */
export const ROW_TTL_MS = 15 * COUNT_EVERY_MS;
/** A newcomer alone on a Page sends at once only when the live instances have been the same this long (each has counted the others). */
export const STABLE_MS = 2 * COUNT_EVERY_MS + 50;
/**
 * A Page stays announced this long after its last send: long enough that a Page sending
 * steadily never waits for the others to count it again, short enough that an instance done with a
 * Page gives its share to the others within about a second.
 */
export const GRACE_MS = 500;
/** Waiting sends go at the live instances' share after this long (the database refuses our row). */
export const MAX_JOIN_WAIT_MS = 2 * ROW_TTL_MS;
const PRUNE_EVERY_MS = 30_000;

export interface PageSendersDeps {
  repo: OutboxSenderRepository;
  /** What the Page's cap is divided by changed (see `divisor`). */
  onDivisor(key: string): void;
  warn(message: string, err: unknown): void;
  /** Real time in ms (rate limits are about real time). */
  now?: () => number;
}

export interface PageSenders {
  /** This instance's name in `outbox_senders`. */
  readonly id: string;
  /** A worker starts: rows are written while at least one is attached. @returns its detach, which withdraws every row after the last. */
  attach(): () => Promise<void>;
  /** Live outbox workers over every instance (their heartbeats): with one, nothing waits. */
  setLive(n: number): void;
  /** The Page's senders as last counted (this one included), or undefined while not counted: divide by the live workers then. */
  divisor(key: string): number | undefined;
  /**
   * Before a send takes its throttle slot: undefined when it may go on at once (the hot path:
   * nothing allocated), otherwise a promise that resolves once it may (rejects when `signal` aborts).
   */
  ready(key: string, signal?: AbortSignal): Promise<void> | undefined;
  /** A send for the Page waits for its slot (`begin`) and has it (`end`): a Page is announced while sends wait. */
  begin(key: string): void;
  end(key: string): void;
}

interface Entry {
  readonly key: string;
  /** Sends between `begin` and `end`. */
  waiting: number;
  lastUse: number;
  /** Our row lives until then (0: never written). */
  validUntil: number;
  /** May send: alone, alone on the Page, or once every other sender has counted it. */
  ready: boolean;
  /** Senders with a live row as last counted, ourselves included; 0 until counted while sending. */
  senders: number;
  /** A newcomer's first read of the others' rows: each one's renewals then. */
  joinedAt: Map<string, number> | undefined;
  waiters: Array<() => void>;
}

/**
 * Whether every sender the newcomer has seen has counted it since: its row renewed twice after
 * it was first seen (the first renewal's count may have read the rows before ours; the second
 * comes after a count that began after our row was there), or gone, or written anew (it withdrew
 * and came back: a newcomer itself, which waits for us). Two newcomers wait for each other's
 * renewals, which go on while they wait.
 */
function countedUs(joinedAt: Map<string, number>, now: readonly SenderRow[]): boolean {
  const renewals = new Map(now.map((r) => [r.senderId, r.renewals]));
  for (const [sender, then] of joinedAt) {
    const r = renewals.get(sender);
    if (r !== undefined && r >= then && r < then + 2) return false;
  }
  return true;
}

export function createPageSenders(deps: PageSendersDeps): PageSenders {
  const id = `s_${randomBytes(6).toString('base64url')}`;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let attached = 0;
  let live = 1;
  /** When the number of live workers last changed. */
  let liveChangedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let again = false;
  let lastPruneAt = 0;
  /** The database refused our rows for MAX_JOIN_WAIT_MS: sends go at the live instances' share until a count succeeds. */
  let degraded = false;

  function becomeReady(e: Entry): void {
    e.joinedAt = undefined;
    e.ready = true;
    const waiters = e.waiters;
    e.waiters = [];
    for (const w of waiters) w();
    deps.onDivisor(e.key);
  }

  function waitFor(key: string, e: Entry, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      const done = () => {
        clearTimeout(fallback);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(fallback);
        e.waiters = e.waiters.filter((w) => w !== done);
        reject(signal?.reason);
      };
      const fallback = setTimeout(() => {
        deps.warn(`outbox: no row in outbox_senders for ${key} after ${MAX_JOIN_WAIT_MS} ms; sending at the live instances' share until the database takes it`, undefined);
        degraded = true;
        e.senders = 0;
        becomeReady(e);
      }, MAX_JOIN_WAIT_MS);
      fallback.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      e.waiters.push(done);
    });
  }

  async function flushOnce(): Promise<void> {
    const t = now();
    const active: string[] = [];
    const leaving: string[] = [];
    for (const [key, e] of entries) {
      if (e.waiting > 0 || e.waiters.length > 0 || t - e.lastUse < GRACE_MS) active.push(key);
      else {
        // Gone from the map before the delete: a send arriving meanwhile is a newcomer, whose
        // row the next flush writes after this delete.
        entries.delete(key);
        leaving.push(key);
      }
    }
    for (const key of leaving) deps.onDivisor(key);
    if (leaving.length > 0) await deps.repo.withdraw(id, leaving);
    if (active.length === 0) return;
    await deps.repo.announce(id, active, t + ROW_TTL_MS);
    degraded = false;
    for (const key of active) {
      const e = entries.get(key);
      if (e !== undefined) e.validUntil = t + ROW_TTL_MS;
    }
    const rows = await deps.repo.list(active, now());
    for (const key of active) {
      const e = entries.get(key);
      if (e === undefined) continue;
      const others = (rows.get(key) ?? []).filter((r) => r.senderId !== id);
      // Our own row is counted; should it have lapsed under a slow write, count ourselves anyway.
      const n = others.length + 1;
      if (!e.ready) {
        const stable = live > 1 && t - liveChangedAt >= STABLE_MS;
        // Nobody else sends for the Page: go now, at the live instances' share until the
        // next count. Of two newcomers at once, the later to commit sees the earlier and waits.
        if (live <= 1 || (e.joinedAt === undefined && others.length === 0 && stable)) {
          e.senders = 0;
          becomeReady(e);
          continue;
        }
        // Every sender seen since our row was written must count us, whenever it was first seen
        // (an instance that believed itself alone may have been sending before its row came).
        e.joinedAt ??= new Map();
        for (const r of others) if (!e.joinedAt.has(r.senderId)) e.joinedAt.set(r.senderId, r.renewals);
        e.senders = n;
        // With nobody on the Page, going needs the live instances to have settled (see above).
        if ((others.length > 0 || stable) && countedUs(e.joinedAt, others)) becomeReady(e);
        continue;
      }
      if (n !== e.senders) {
        e.senders = n;
        deps.onDivisor(key);
      }
    }
    if (t - lastPruneAt >= PRUNE_EVERY_MS) {
      lastPruneAt = t;
      await deps.repo.prune(t - ROW_TTL_MS);
    }
  }

  /** One flush at a time; asked for during one, another runs right after it. */
  function flush(): Promise<void> {
    if (flushing !== undefined) {
      again = true;
      return flushing;
    }
    flushing = (async () => {
      do {
        again = false;
        try {
          await flushOnce();
        } catch (e) {
          deps.warn('outbox: the Pages this instance sends for were not written or counted', e);
        }
      } while (again && attached > 0);
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  function entryOf(key: string, t: number): Entry {
    let e = entries.get(key);
    if (e === undefined) {
      e = { key, waiting: 0, lastUse: t, validUntil: 0, ready: false, senders: 0, joinedAt: undefined, waiters: [] };
      entries.set(key, e);
    }
    return e;
  }

  return {
    id,

    attach() {
      attached++;
      if (attached === 1) {
        timer = setInterval(() => void flush(), COUNT_EVERY_MS);
        timer.unref();
      }
      let detached = false;
      return async () => {
        if (detached) return;
        detached = true;
        attached--;
        if (attached > 0) return;
        clearInterval(timer);
        timer = undefined;
        await flushing;
        const all = [...entries.values()];
        entries.clear();
        for (const e of all) becomeReady(e);
        await deps.repo.withdraw(id).catch((e: unknown) => deps.warn('outbox: the Pages this instance sent for were not withdrawn (their rows lapse on their own)', e));
      };
    },

    setLive(n) {
      const next = Math.max(1, n);
      if (next !== live) liveChangedAt = now();
      live = next;
    },

    divisor(key) {
      const e = entries.get(key);
      return e !== undefined && e.ready && e.senders > 0 && !degraded ? e.senders : undefined;
    },

    ready(key, signal) {
      if (attached === 0) return undefined;
      const t = now();
      const e = entryOf(key, t);
      e.lastUse = t;
      // The Page stays announced (so the next count can succeed and end this), but nothing waits.
      if (degraded) return undefined;
      // Our row lives for another count at least: the others count us.
      if (e.ready && e.validUntil - t > COUNT_EVERY_MS) return undefined;
      if (live <= 1) {
        // Alone: nobody to wait for. A newcomer counts our row (written at the next count) before it sends.
        if (e.validUntil === 0) void flush();
        e.validUntil = Math.max(e.validUntil, t + ROW_TTL_MS);
        if (!e.ready) becomeReady(e);
        return undefined;
      }
      if (e.ready) {
        // Our row may have lapsed (renewals failed or stalled): the others may have counted us out.
        e.ready = false;
        e.senders = 0;
        e.joinedAt = undefined;
        deps.onDivisor(key);
      }
      const waiting = waitFor(key, e, signal);
      void flush();
      return waiting;
    },

    begin(key) {
      const e = entries.get(key);
      if (e !== undefined) e.waiting++;
    },

    end(key) {
      const e = entries.get(key);
      if (e === undefined) return;
      e.waiting = Math.max(0, e.waiting - 1);
      e.lastUse = now();
    },
  };
}
