import type { GraphError } from './graph-error.js';

export interface RetryPolicy {
  maxRetries: number;
  /**
   * Retries for a call that is safe to repeat (a GET, a batch of GETs, a batch item that is a
   * read) whose failure reached Facebook or a proxy (5xx, non-JSON, a reset, a null batch item).
   * Such faults are independent per attempt, so a read keeps going a little longer; a refused
   * connection (nothing listening) still stops at `maxRetries`. Default: `maxRetries`.
   */
  maxIdempotentRetries?: number;
  retryBaseMs: number;
  /** Upper bound of one backoff step before jitter. */
  maxBackoffMs: number;
  /** A retryAfter longer than this is not waited for inside a call: the error goes to the caller. */
  maxRetryAfterMs: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Should a failed attempt be tried again, and after how long? Only transient and throttling
 * failures, only when repeating is safe: the call is idempotent, or it provably never reached
 * Facebook (Facebook does not de-duplicate sends, docs/graph-api.md "Messenger Send API").
 * Backoff is exponential with full jitter; a retryAfter from Facebook is a floor.
 *
 * @param attempt number of attempts made so far (1 after the first failure)
 */
export function decideRetry(error: Pick<GraphError, 'kind' | 'delivery' | 'retryAfterMs'>, attempt: number, idempotent: boolean, policy: RetryPolicy, random: () => number): RetryDecision {
  if (error.kind !== 'transient' && error.kind !== 'rate_limited') return { retry: false, reason: `not retryable (${error.kind})` };
  if (!idempotent && error.delivery !== 'not_sent') return { retry: false, reason: `not idempotent and delivery ${error.delivery}` };
  const limit = idempotent && error.delivery !== 'not_sent' ? (policy.maxIdempotentRetries ?? policy.maxRetries) : policy.maxRetries;
  if (attempt > limit) return { retry: false, reason: 'retries exhausted' };
  if (error.retryAfterMs !== null && error.retryAfterMs > policy.maxRetryAfterMs) {
    return { retry: false, reason: `retry after ${error.retryAfterMs} ms exceeds ${policy.maxRetryAfterMs} ms` };
  }
  const ceiling = Math.min(policy.maxBackoffMs, policy.retryBaseMs * 2 ** (attempt - 1));
  const backoff = Math.floor(random() * ceiling);
  return { retry: true, delayMs: Math.max(backoff, error.retryAfterMs ?? 0) };
}
