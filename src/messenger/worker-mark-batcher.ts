/**
 * `sending` marks in batches: every message released by the throttle while the previous
 * statement ran goes in the next one, so a burst of sends costs one write, not one each. A few
 * ms gathers the sends released across Pages; the Page's sliding-second check comes after the
 * mark, so the delay cannot bunch requests.
 */

/** How long marks are gathered before their one statement. */
export const MARK_GATHER_MS = 4;

export interface MarkBatcher {
  /** Resolves true once the message is committed `sending`, false when its claim was lost; rejects when the write failed. */
  mark(id: string): Promise<boolean>;
}

/** `write` marks the ids in one statement and returns those it marked. */
export function createMarkBatcher(write: (ids: string[]) => Promise<Set<string>>, gatherMs = MARK_GATHER_MS): MarkBatcher {
  let waiting: Array<{ id: string; resolve: (marked: boolean) => void; reject: (e: unknown) => void }> = [];
  let writing = false;

  async function flush(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const marked = await write(batch.map((b) => b.id));
        for (const b of batch) b.resolve(marked.has(b.id));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    writing = false;
  }

  return {
    mark(id) {
      return new Promise((resolve, reject) => {
        waiting.push({ id, resolve, reject });
        if (!writing) {
          writing = true;
          setTimeout(() => void flush(), gatherMs);
        }
      });
    },
  };
}
