/**
 * Outcomes of the worker's sends, gathered for the loop's next tick, which writes them in one
 * transaction: after `flushMs`, or at once when `flushBatch` are waiting. A failed write puts
 * them back in front, in order.
 */
import type { ClaimedMessage, SendOutcome } from '../store/outbox-repository.js';

export const DEFAULT_FLUSH_MS = 15;
export const DEFAULT_FLUSH_BATCH = 200;

export interface PendingOutcome {
  m: ClaimedMessage;
  outcome: SendOutcome;
}

export interface OutcomeWriter {
  record(m: ClaimedMessage, outcome: SendOutcome): void;
  /** Everything gathered so far (the caller writes it). */
  take(): PendingOutcome[];
  /** The write failed: keep these for the next tick. */
  putBack(batch: PendingOutcome[]): void;
  readonly size: number;
  /** Enough are waiting to write now without waiting for the timer. */
  readonly full: boolean;
}

/** `wake` asks the loop for a tick (when the timer fires or the batch is full). */
export function createOutcomeWriter(wake: () => void, flushMs = DEFAULT_FLUSH_MS, flushBatch = DEFAULT_FLUSH_BATCH): OutcomeWriter {
  let pending: PendingOutcome[] = [];
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    record(m, outcome) {
      pending.push({ m, outcome });
      if (pending.length >= flushBatch) {
        clear();
        wake();
      } else if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          wake();
        }, flushMs);
      }
    },
    take() {
      const batch = pending;
      pending = [];
      clear();
      return batch;
    },
    putBack(batch) {
      pending = batch.concat(pending);
    },
    get size() {
      return pending.length;
    },
    get full() {
      return pending.length >= flushBatch;
    },
  };
}
