/**
 * What the Graph client tells about its calls, as it makes them: one event per attempt and one
 * per call. Metrics (`/metrics`' Graph call counts) and logs are both observers, so neither
 * depends on the other's wording. Events carry the redacted URL only, never a token.
 */
import type { GraphError, GraphErrorKind } from './graph-error.js';
import type { GraphLogger } from './types.js';

/** One attempt: answered (with its HTTP status) or failed before an answer. */
export interface GraphAttemptEvent {
  method: string;
  /** The URL with every token and proof redacted. */
  url: string;
  /** 1 for the first try. */
  attempt: number;
  /** How long the attempt took, to the answer or the failure. */
  ms: number;
  /** The HTTP status when Facebook answered; null for network failures and timeouts. */
  status: number | null;
  /** Why the attempt failed; null when it succeeded. */
  error: GraphError | null;
  /** For a failed attempt: `retry` (after `delayMs`) or `give_up` (with `reason`). */
  next: 'done' | 'retry' | 'give_up';
  delayMs?: number;
  /** Why a failure is not retried. */
  reason?: string;
}

/** One call, finished: every attempt it took and the final outcome. */
export interface GraphResultEvent {
  method: string;
  url: string;
  attempts: number;
  /** From the first attempt's start to the answer or the final failure, waits included. */
  ms: number;
  /** `ok`, or the kind of the error the call ended with. */
  outcome: 'ok' | GraphErrorKind;
  error: GraphError | null;
}

/** Pass as `observer` in GraphClientOptions. Called synchronously; must not throw. */
export interface GraphCallObserver {
  onAttempt?(event: GraphAttemptEvent): void;
  onResult?(event: GraphResultEvent): void;
}

/**
 * The client's log lines, from its events: `graph call` (debug) for every answered attempt,
 * `graph call failed, retrying` (warn) for each retry, `graph call failed` (debug) when it
 * gives up.
 */
export function logObserver(logger: GraphLogger): GraphCallObserver {
  return {
    onAttempt(e) {
      if (e.status !== null) logger.debug({ method: e.method, url: e.url, status: e.status, ms: e.ms, attempt: e.attempt }, 'graph call');
      const error = e.error;
      if (error === null) return;
      const facts = { method: e.method, url: e.url, attempt: e.attempt, pkCode: error.pkCode, kind: error.kind, code: error.code, subcode: error.subcode, delivery: error.delivery, fbtraceId: error.fbtraceId };
      if (e.next === 'retry') logger.warn({ ...facts, delayMs: e.delayMs }, 'graph call failed, retrying');
      else logger.debug({ ...facts, reason: e.reason }, 'graph call failed');
    },
  };
}

/** Several observers as one, in order; undefined entries are skipped. */
export function combineObservers(...observers: ReadonlyArray<GraphCallObserver | undefined>): GraphCallObserver {
  const attempts = observers.flatMap((o) => (o?.onAttempt ? [o.onAttempt.bind(o)] : []));
  const results = observers.flatMap((o) => (o?.onResult ? [o.onResult.bind(o)] : []));
  return {
    onAttempt: (e) => attempts.forEach((f) => f(e)),
    onResult: (e) => results.forEach((f) => f(e)),
  };
}
