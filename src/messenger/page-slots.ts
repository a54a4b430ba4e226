/**
 * Each Page's send schedule, shared by every instance on the database, so the instances
 * together keep to the Page's cap without dividing it among themselves.
 *
 * Dividing a Page's cap into per-instance shares leaves a share idle whenever its instance has
 * less to send than the others (people are never spread evenly), and every change of who sends
 * for the Page has to be agreed before anyone's share may grow. One schedule per Page avoids
 * both: a send reserves the Page's next free slot in `outbox_page_slots` (one upsert for every
 * Page with sends waiting, src/store/outbox-slot-repository.ts), and waits for its time. Slots
 * follow each other at the Page's interval whoever takes them, so:
 * - the Page gets its whole cap whichever instances have work for it, in proportion to the
 *   sends each has waiting, and an instance that has nothing left takes nothing;
 * - an instance that dies stops taking slots: at most the few it had reserved go unused;
 * - a newcomer's first slot comes after every slot already taken, so nothing has to be agreed.
 *
 * One per Messenger, active while one of its outbox workers runs (direct sends of that process
 * take part too; a process without a worker paces alone, as one instance). Reservations made at
 * the same moment go out together: a flush at a time, the next gathering what came meanwhile.
 * If the database refuses a reservation, `take` answers undefined for RETRY_AFTER_MS and the
 * caller paces locally at the cap over the live instances (the division this replaces).
 *
 * An instance that counts itself alone (`setSolo`) takes a slot within reach at once, from its
 * own copy of the schedule, and writes it to the database behind (one statement for what was
 * taken meanwhile): a send does not wait for the database, which on SQLite means waiting for
 * the worker's own transactions on the one connection (tens of ms at a busy moment), and a
 * newcomer still finds the schedule in the database. A write's answer that starts later than
 * the stretch written shows another instance's slots there: the lone instance moves its copy
 * past them and reserves through the database for CONTENDED_HOLD_MS, whatever its live count
 * says (instances started together count before each other's heartbeats land, and a newcomer
 * is counted only at the next live count, 250 ms). So a slot is taken twice only between the
 * newcomer's first reservation and the answer to the lone instance's next write (one or two
 * of the Page's slots), not again at each of the newcomer's reservations until the next count
 * (about 25 in 600 ms of both sending at 100/s: a Page past its cap, which Facebook answers
 * with 613).
 * Times are the instances' own clocks (µs since the epoch): instances on different machines
 * need them in step (NTP keeps them within milliseconds).
 */
import type { OutboxSlotRepository } from '../store/outbox-slot-repository.js';

/** After a refused reservation, sends pace locally this long before the database is tried again. */
export const RETRY_AFTER_MS = 1_000;
/** Schedules of Pages quiet this long are deleted (they start afresh at their next send). */
export const PRUNE_AFTER_MS = 60_000;
/**
 * An instance reserves a Page's slots at most this far ahead of now; later sends wait here
 * (abortable) until the schedule comes within reach. So slots are taken just in time: a send
 * given back (its person changed hands) or an instance that dies leaves at most this much of a
 * Page's schedule unused, and a newcomer's sends interleave with the others' within it.
 */
export const RESERVE_AHEAD_MS = 100;
/**
 * Sends whose slot is not yet within reach are moved into a reservation together, every this
 * many ms for all Pages: one statement for every busy Page's next stretch, instead of one each
 * time a single slot comes within reach (a Page at 95/s would cost 95 statements a second).
 * Well under RESERVE_AHEAD_MS - MARK_LEAD_MS, so a slot is still reserved before its mark is due.
 */
export const PUMP_EVERY_MS = 20;
/**
 * Once a write behind finds another instance's slots, a lone instance takes none from its own
 * copy for this long (live counts run every 250 ms; by then they count the other instance).
 */
export const CONTENDED_HOLD_MS = 1_000;

export interface PageSlotsDeps {
  repo: OutboxSlotRepository;
  warn(message: string, err: unknown): void;
  /** Whether sends take shared slots changed (the caller re-divides its local caps). */
  onActive?(active: boolean): void;
  /** Real time in ms (rate limits are about real time). */
  now?: () => number;
}

export interface PageSlots {
  /** A worker starts: slots are shared while at least one is attached. @returns its detach. */
  attach(): () => void;
  /** Attached and the database takes reservations: sends take shared slots. */
  readonly active: boolean;
  /** Whether this instance counts itself the only one live (slots within reach are then taken locally and written behind). */
  setSolo(alone: boolean): void;
  /**
   * Reserves the next slot of `key`'s schedule, `intervalUs` long, starting no earlier than
   * `floorUs`. @returns when the slot starts (ms since the epoch), or undefined when the
   * database refused: pace locally then. Rejects with the signal's reason when aborted before
   * its slot was reserved.
   */
  take(key: string, intervalUs: number, floorUs: number, signal?: AbortSignal): Promise<number | undefined>;
}

interface Pending {
  key: string;
  intervalUs: number;
  floorUs: number;
  resolve(at: number | undefined): void;
}

interface KeyState {
  /** Sends waiting for the schedule to come within RESERVE_AHEAD_MS, oldest first. */
  waiting: Pending[];
  /** Where the schedule stood after our last reservation (µs); 0 before any. */
  endUs: number;
  /** Alone: the stretch taken locally and not yet written to the database (µs), if any. */
  behind: { fromUs: number; toUs: number } | undefined;
  /** A reservation for this key is in the statement under way. */
  reserving: boolean;
}

export function createPageSlots(deps: PageSlotsDeps): PageSlots {
  const now = deps.now ?? Date.now;
  let attached = 0;
  const keys = new Map<string, KeyState>();
  /** Sends to reserve in the next statement. */
  let batch: Pending[] = [];
  let flushing = false;
  let refusedUntil = 0;
  let lastPruneAt = now();
  let wasActive = false;
  let solo = false;
  /** Until then a lone instance reserves through the database: another instance's slots were found in it. */
  let contendedUntil = 0;
  /** Keys with a stretch taken alone that the next flush writes behind. */
  const behindKeys = new Set<string>();
  /** Keys with sends waiting for their schedule to come within reach, pumped at the next tick. */
  const due = new Set<string>();
  let tick: NodeJS.Timeout | undefined;

  function schedulePump(key: string): void {
    due.add(key);
    if (tick !== undefined) return;
    tick = setTimeout(() => {
      tick = undefined;
      const keysDue = [...due];
      due.clear();
      for (const key of keysDue) {
        const k = keys.get(key);
        if (k !== undefined) pump(key, k);
      }
    }, PUMP_EVERY_MS);
    tick.unref();
  }

  const isActive = () => attached > 0 && now() >= refusedUntil;
  /** The database refused `what` (a reservation, a write behind): sends pace locally for RETRY_AFTER_MS. */
  function refused(what: string, e: unknown): void {
    refusedUntil = now() + RETRY_AFTER_MS;
    deps.warn(`outbox: the Pages' shared send schedule (outbox_page_slots) refused ${what}; pacing locally at the cap over the live instances for ${RETRY_AFTER_MS} ms`, e);
  }
  /** Nothing waits, is under way or is unwritten for the key, and its schedule is past: it can go. */
  const isQuiet = (k: KeyState, tUs: number) => k.waiting.length === 0 && !k.reserving && k.behind === undefined && k.endUs < tUs;
  function tellActive(): void {
    const active = isActive();
    if (active === wasActive) return;
    wasActive = active;
    deps.onActive?.(active);
  }

  /** Moves as many of the key's waiting sends into the batch as fit before now + RESERVE_AHEAD_MS. */
  function pump(key: string, k: KeyState): void {
    if (k.reserving || k.waiting.length === 0) return;
    const tUs = now() * 1000;
    const reachUs = tUs + RESERVE_AHEAD_MS * 1000;
    let atUs = Math.max(k.endUs, tUs);
    let taken = 0;
    while (taken < k.waiting.length) {
      const p = k.waiting[taken]!;
      atUs = Math.max(atUs, p.floorUs);
      // The first always goes once the schedule is within reach; the others while they fit.
      if (atUs > reachUs) break;
      atUs += p.intervalUs;
      taken++;
    }
    if (taken === 0) return schedulePump(key);
    k.reserving = true;
    batch.push(...k.waiting.splice(0, taken));
    startFlush();
  }

  function startFlush(): void {
    if (flushing) return;
    flushing = true;
    // Everything asked for in this turn of the event loop goes in one statement.
    setImmediate(() => void flush());
  }

  /** Alone: writes the stretches taken locally since the last flush; a later start found there is another instance's. */
  async function writeBehind(): Promise<void> {
    const written: Array<{ key: string; fromUs: number; toUs: number }> = [];
    for (const key of behindKeys) {
      const k = keys.get(key);
      if (k?.behind !== undefined) written.push({ key, ...k.behind });
      if (k !== undefined) k.behind = undefined;
    }
    behindKeys.clear();
    if (written.length === 0) return;
    let starts: Map<string, number>;
    try {
      starts = await deps.repo.reserve(written.map((w) => ({ key: w.key, floorUs: Math.round(w.fromUs), spanUs: Math.round(w.toUs - w.fromUs) })));
    } catch (e) {
      refused('a write', e);
      return;
    }
    for (const w of written) {
      const start = starts.get(w.key);
      const k = keys.get(w.key);
      if (start === undefined || start <= w.fromUs) continue;
      // Another instance had the stretch: our next slots come after what the database gave us,
      // and through it until the live count has caught up.
      contendedUntil = now() + CONTENDED_HOLD_MS;
      if (k !== undefined) k.endUs = Math.max(k.endUs, start + (w.toUs - w.fromUs));
    }
  }

  /** Alone, a slot within reach is taken from the local copy; undefined when it must be reserved. */
  function takeAlone(key: string, k: KeyState, intervalUs: number, floorUs: number): number | undefined {
    if (!solo || k.reserving || k.waiting.length > 0) return undefined;
    const t = now();
    if (t < contendedUntil) return undefined;
    const tUs = t * 1000;
    const atUs = Math.max(k.endUs, tUs, floorUs);
    if (atUs > tUs + RESERVE_AHEAD_MS * 1000) return undefined;
    k.endUs = atUs + intervalUs;
    k.behind = k.behind === undefined ? { fromUs: atUs, toUs: k.endUs } : { fromUs: k.behind.fromUs, toUs: k.endUs };
    behindKeys.add(key);
    startFlush();
    return atUs / 1000;
  }

  async function flushOnce(items: Pending[]): Promise<void> {
    const byKey = new Map<string, { floorUs: number; spanUs: number; items: Pending[] }>();
    for (const p of items) {
      const g = byKey.get(p.key);
      if (g === undefined) byKey.set(p.key, { floorUs: p.floorUs, spanUs: p.intervalUs, items: [p] });
      else {
        g.floorUs = Math.max(g.floorUs, p.floorUs);
        g.spanUs += p.intervalUs;
        g.items.push(p);
      }
    }
    let starts: Map<string, number> | undefined;
    try {
      starts = await deps.repo.reserve([...byKey].map(([key, g]) => ({ key, floorUs: Math.round(g.floorUs), spanUs: Math.round(g.spanUs) })));
    } catch (e) {
      refused('a reservation', e);
    }
    for (const [key, g] of byKey) {
      let at = starts?.get(key);
      for (const p of g.items) {
        p.resolve(at === undefined ? undefined : at / 1000);
        if (at !== undefined) at += p.intervalUs;
      }
      const k = keys.get(key);
      if (k === undefined) continue;
      k.reserving = false;
      if (at !== undefined) k.endUs = at;
      if (starts === undefined) {
        // Refused: every waiting send paces locally too.
        for (const p of k.waiting.splice(0)) p.resolve(undefined);
      } else pump(key, k);
      if (isQuiet(k, now() * 1000)) keys.delete(key);
    }
  }

  async function flush(): Promise<void> {
    try {
      while (batch.length > 0 || behindKeys.size > 0) {
        // What was taken alone goes first, so reservations made with it start after it.
        await writeBehind();
        const items = batch;
        batch = [];
        if (items.length > 0) await flushOnce(items);
      }
      const t = now();
      if (t - lastPruneAt >= PRUNE_AFTER_MS) {
        lastPruneAt = t;
        for (const [key, k] of keys) if (isQuiet(k, t * 1000)) keys.delete(key);
        await deps.repo.prune((t - PRUNE_AFTER_MS) * 1000).catch((e: unknown) => deps.warn('outbox: quiet Pages were not pruned from outbox_page_slots', e));
      }
    } finally {
      flushing = false;
      if (batch.length > 0 || behindKeys.size > 0) startFlush();
      tellActive();
    }
  }

  return {
    attach() {
      attached++;
      tellActive();
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        attached--;
        tellActive();
      };
    },

    get active() {
      return isActive();
    },

    setSolo(alone) {
      solo = alone;
    },

    take(key, intervalUs, floorUs, signal) {
      if (!isActive()) {
        tellActive();
        return Promise.resolve(undefined);
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
      let k = keys.get(key);
      if (k === undefined) {
        k = { waiting: [], endUs: 0, reserving: false, behind: undefined };
        keys.set(key, k);
      }
      const alone = takeAlone(key, k, intervalUs, floorUs);
      if (alone !== undefined) return Promise.resolve(alone);
      const state = k;
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const i = state.waiting.indexOf(p);
          if (i < 0) return;
          state.waiting.splice(i, 1);
          reject(signal?.reason);
        };
        const p: Pending = {
          key,
          intervalUs,
          floorUs,
          resolve: (at) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(at);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        state.waiting.push(p);
        pump(key, state);
      });
    },
  };
}
