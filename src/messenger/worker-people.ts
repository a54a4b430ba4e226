/**
 * Which people an outbox worker keeps when several instances share the database: a person is
 * the worker's own when the hash of (Page, PSID) modulo the number of live workers is the
 * worker's rank among them (their lease names, sorted). Every instance reads the same live
 * list, so each person has one owner at a time; the owner claims the person's next message in
 * the same transaction as the previous one's outcome, and the others leave it to the scan.
 * Ownership only steers who tries first: the claim itself (a lease per row) is what makes a
 * message go out once, so a moment where two workers disagree (one has re-counted, the other
 * not yet) costs a scan, never a duplicate.
 */
export interface PeopleShare {
  /** The live workers' lease names, sorted, as last counted. */
  setLive(names: readonly string[]): void;
  owns(pageId: string, psid: string): boolean;
}

export function createPeopleShare(self: string): PeopleShare {
  let rank = 0;
  let workers = 1;
  return {
    setLive(names) {
      // Our own lease may have lapsed between heartbeats: count ourselves all the same.
      const all = names.includes(self) ? names : [...names, self].sort();
      workers = all.length;
      rank = all.indexOf(self);
    },
    owns(pageId, psid) {
      return workers <= 1 || personHash(pageId, psid) % workers === rank;
    },
  };
}

/** FNV-1a over "pageId\0psid": cheap, and spreads PSIDs (long digit strings) evenly. */
export function personHash(pageId: string, psid: string): number {
  let h = 0x811c9dc5;
  const key = `${pageId}\u0000${psid}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
