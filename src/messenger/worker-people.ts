import { conversationKey } from '../store/conversations-repository.js';

/**
 * Which people an outbox worker keeps when several instances share the database: a person is
 * the worker's own when, of the live workers (their lease names), the worker scores highest for
 * the person (rendezvous hashing: a hash of worker name and person). Every instance reads the
 * same live list, so each person has one owner at a time; the owner claims the person's next
 * message in the same transaction as the previous one's outcome, and the others leave it to the
 * owner's scan. When a worker joins or dies, only the people it gains or held change hands (a
 * hash modulo the count would move about half of everyone, each move costing a scan's wait).
 * Ownership only steers who tries first: the claim itself (a lease per row) is what makes a
 * message go out once, so a moment where two workers disagree (one has re-counted, the other
 * not yet) costs a scan, never a duplicate.
 */
export interface PeopleShare {
  /** The live workers' lease names, as last counted. */
  setLive(names: readonly string[]): void;
  owns(pageId: string, psid: string): boolean;
}

export function createPeopleShare(self: string): PeopleShare {
  /** Every live worker's name hash, ours first; alone, empty. */
  let seeds: number[] = [];
  let names: string[] = [];
  return {
    setLive(live) {
      // Our own lease may have lapsed between heartbeats: count ourselves all the same.
      const others = live.filter((n) => n !== self);
      names = others.length === 0 ? [] : [self, ...others];
      seeds = names.map((n) => fnv1a(n, FNV_OFFSET));
    },
    owns(pageId, psid) {
      if (seeds.length === 0) return true;
      const person = personHash(pageId, psid);
      const mine = score(seeds[0]!, person);
      for (let i = 1; i < seeds.length; i++) {
        const s = score(seeds[i]!, person);
        // Ties (rare) go to the name that sorts first, the same on every instance.
        if (s > mine || (s === mine && names[i]! < self)) return false;
      }
      return true;
    },
  };
}

const FNV_OFFSET = 0x811c9dc5;

function fnv1a(key: string, h: number): number {
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A worker's score for a person: the two hashes mixed (murmur3's finalizer), so scores of one person differ widely between workers. */
function score(seed: number, person: number): number {
  let h = (seed ^ Math.imul(person, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over "pageId\0psid": cheap, and spreads PSIDs (long digit strings) evenly. */
export function personHash(pageId: string, psid: string): number {
  return fnv1a(conversationKey(pageId, psid), FNV_OFFSET);
}
