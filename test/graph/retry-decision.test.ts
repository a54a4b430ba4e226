import { describe, expect, it } from 'vitest';
import { decideRetry, type RetryPolicy } from '../../src/graph/decide-retry.js';
import type { GraphDelivery, GraphErrorKind } from '../../src/graph/graph-error.js';

const policy: RetryPolicy = { maxRetries: 3, retryBaseMs: 200, maxBackoffMs: 600, maxRetryAfterMs: 60_000 };
const half = () => 0.5;

describe('whether a failed call is tried again', () => {
  it.each<[string, GraphErrorKind, GraphDelivery, number | null, boolean, number, number | false]>([
    ['transient GET, first failure', 'transient', 'answered', null, true, 1, 100],
    ['transient GET, second failure', 'transient', 'answered', null, true, 2, 200],
    ['transient GET, backoff capped at 600', 'transient', 'answered', null, true, 3, 300],
    ['transient GET, retries exhausted', 'transient', 'answered', null, true, 4, false],
    ['rate limited GET waits retryAfter', 'rate_limited', 'answered', 30_000, true, 1, 30_000],
    ['rate limited GET, wait too long', 'rate_limited', 'answered', 3_600_000, true, 1, false],
    ['transient POST that was answered', 'transient', 'answered', null, false, 1, false],
    ['POST that timed out (maybe sent)', 'transient', 'unknown', null, false, 1, false],
    ['POST never sent (connection refused)', 'transient', 'not_sent', null, false, 1, 100],
    ['token invalid', 'token_invalid', 'answered', null, true, 1, false],
    ['permission', 'permission', 'answered', null, true, 1, false],
    ['invalid request', 'invalid_request', 'answered', null, true, 1, false],
  ])('%s', (_name, kind, delivery, retryAfterMs, idempotent, attempt, expected) => {
    const d = decideRetry({ kind, delivery, retryAfterMs }, attempt, idempotent, policy, half);
    if (expected === false) expect(d.retry).toBe(false);
    else expect(d).toEqual({ retry: true, delayMs: expected });
  });

  it('jitters over the whole window (full jitter)', () => {
    expect(decideRetry({ kind: 'transient', delivery: 'answered', retryAfterMs: null }, 2, true, policy, () => 0)).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry({ kind: 'transient', delivery: 'answered', retryAfterMs: null }, 2, true, policy, () => 0.999)).toEqual({ retry: true, delayMs: 399 });
  });
});
