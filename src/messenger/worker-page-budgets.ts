/**
 * How many claimed messages each Page may hold in one worker. A Page gets enough to keep its
 * throttle busy between two ticks (PAGE_BACKLOG_SECONDS of sends at its current rate) plus what
 * is on the wire for a round trip (rate x observed latency), at least MIN_PAGE_IN_FLIGHT; few
 * enough that a crash leaves few claimed-but-unsent messages, and one Page cannot take every slot.
 */

export const PAGE_BACKLOG_SECONDS = 0.3;
export const MIN_PAGE_IN_FLIGHT = 8;
/** Round trips of sends claimed beyond the backlog: jitter and the outcome flush need a little more than one. */
export const PAGE_LATENCY_HEADROOM = 1.5;

export interface PageBudgets {
  /** A message of the Page was claimed. */
  add(pageId: string): void;
  /** A message of the Page finished (its outcome was taken for writing). */
  remove(pageId: string): void;
  count(pageId: string): number;
  budget(pageId: string): number;
  /** Pages holding their whole budget: the next claim skips them. */
  fullPages(): string[];
  /** Sends per second allowed right now over the Pages holding claims. */
  demandPerSecond(): number;
}

export function createPageBudgets(perSecond: (pageId: string) => number, latencyMs: () => number): PageBudgets {
  const counts = new Map<string, number>();
  const budget = (pageId: string) => Math.max(MIN_PAGE_IN_FLIGHT, Math.ceil(perSecond(pageId) * (PAGE_BACKLOG_SECONDS + (latencyMs() / 1000) * PAGE_LATENCY_HEADROOM)));
  return {
    add(pageId) {
      counts.set(pageId, (counts.get(pageId) ?? 0) + 1);
    },
    remove(pageId) {
      const n = (counts.get(pageId) ?? 1) - 1;
      if (n <= 0) counts.delete(pageId);
      else counts.set(pageId, n);
    },
    count: (pageId) => counts.get(pageId) ?? 0,
    budget,
    fullPages() {
      const full: string[] = [];
      for (const [pageId, n] of counts) if (n >= budget(pageId)) full.push(pageId);
      return full;
    },
    demandPerSecond() {
      let sum = 0;
      for (const pageId of counts.keys()) sum += perSecond(pageId);
      return sum;
    },
  };
}
