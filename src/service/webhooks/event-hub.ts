/**
 * Fans verified webhook bodies out to the server-sent-events subscribers of this process.
 * Slow subscribers are the subscriber's problem: a subscriber whose buffer is full is dropped
 * (its connection closed) rather than letting memory grow.
 */
export interface HubEvent {
  id: number;
  type: string;
  data: unknown;
}

export interface EventHub {
  publish(type: string, data: unknown): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (e: HubEvent) => void): () => void;
  /** Tells every subscriber to end (server shutdown). */
  close(): void;
  onClose(listener: () => void): () => void;
  readonly size: number;
}

export function createEventHub(): EventHub {
  let next = 1;
  const listeners = new Set<(e: HubEvent) => void>();
  const closers = new Set<() => void>();
  return {
    publish(type, data) {
      const e = { id: next++, type, data };
      for (const l of listeners) l(e);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const c of [...closers]) c();
      listeners.clear();
      closers.clear();
    },
    onClose(listener) {
      closers.add(listener);
      return () => closers.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}
