import type { InboundContact } from './webhook-event.js';

/**
 * Gathers the inbound contacts of every webhook that arrives in one event-loop turn and writes
 * them with one call (one multi-row upsert) instead of one statement per event: at thousands
 * of events per second the per-statement cost (prepare, a commit per write) was most of a
 * webhook's CPU time. While a write is running, new contacts wait and go into the next one, so
 * batches grow with load. A person who wrote twice meanwhile is written once, with the later time.
 *
 * The webhook has already been answered when this runs (Facebook wants its 200 within 5 s);
 * a failed write is reported, never retried forever.
 */
export interface InboundBatcher {
  add(contacts: readonly InboundContact[]): void;
  /** Resolves once everything added so far is written (or failed): for a graceful shutdown. */
  flush(): Promise<void>;
  /** Contacts waiting for the next write. */
  readonly pending: number;
}

export interface InboundBatcherOptions {
  write: (contacts: readonly InboundContact[]) => Promise<void>;
  onError: (err: unknown) => void;
}

const key = (c: InboundContact) => `${c.pageId}\u0000${c.psid}`;

export function createInboundBatcher(options: InboundBatcherOptions): InboundBatcher {
  let pending = new Map<string, InboundContact>();
  let running: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    while (pending.size > 0) {
      const batch = [...pending.values()];
      pending = new Map();
      try {
        await options.write(batch);
      } catch (e) {
        options.onError(e);
      }
    }
  };

  const start = () => {
    // setImmediate: every request parsed in this turn of the loop joins the batch first.
    running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(run)
      .finally(() => {
        running = undefined;
        if (pending.size > 0) start();
      });
  };

  return {
    add(contacts) {
      for (const c of contacts) {
        const k = key(c);
        const prev = pending.get(k);
        if (!prev || prev.at.getTime() < c.at.getTime()) pending.set(k, c);
      }
      if (pending.size > 0 && running === undefined) start();
    },
    async flush() {
      while (running !== undefined) await running;
    },
    get pending() {
      return pending.size;
    },
  };
}
