import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideSendRetry } from '../../src/messenger/retry-policy.js';
import type { SendFailure, SendRetryDecision } from '../../src/messenger/retry-policy.js';

const now = 1_000_000;
const half = () => 0.5;
const answered = (kind: SendFailure['kind'], code: number | null, subcode: number | null = null, retryAfterMs: number | null = null): SendFailure => ({
  kind,
  code,
  subcode,
  delivery: 'answered',
  retryAfterMs,
});

type Expect = { action: 'retry'; at: number } | { action: 'fail'; code: number | null; subcode: number | null; reason: RegExp } | { action: 'hold' | 'unknown'; reason: RegExp };
type Case = [name: string, error: SendFailure, attempt: number, atLeastOnce: boolean, expected: Expect];

const cases: Case[] = [
  ['190 password changed holds the page', answered('token_invalid', 190, 460), 1, false, { action: 'hold', reason: /no longer valid.*reconnects/ }],
  ['102 session expired holds the page', answered('token_invalid', 102), 1, false, { action: 'hold', reason: /no longer valid/ }],
  ['613 throttle waits Retry-After when longer than the backoff', answered('rate_limited', 613, 2534040, 60_000), 1, false, { action: 'retry', at: now + 60_000 }],
  ['613 throttle waits the backoff when longer than Retry-After', answered('rate_limited', 613, 2534040, 10), 5, false, { action: 'retry', at: now + 4000 }],
  ['80006 throttle without Retry-After keeps retrying past max attempts', answered('rate_limited', 80006), 20, false, { action: 'retry', at: now + 150_000 }],
  ['500 answered: retry with backoff (attempt 1)', answered('transient', 1), 1, false, { action: 'retry', at: now + 250 }],
  ['500 answered: retry with backoff (attempt 3)', answered('transient', 1), 3, false, { action: 'retry', at: now + 1000 }],
  ['transient at attempt 7 of 8 still retries', answered('transient', 1), 7, false, { action: 'retry', at: now + 16_000 }],
  ['transient at attempt 8 of 8 fails', answered('transient', 1), 8, false, { action: 'fail', code: 1, subcode: null, reason: /after 8 attempts/ }],
  ['connection refused (not sent) retries', { kind: 'transient', code: 0, subcode: null, delivery: 'not_sent' }, 2, false, { action: 'retry', at: now + 500 }],
  ['timeout after sending is unknown', { kind: 'transient', code: 0, subcode: null, delivery: 'unknown' }, 1, false, { action: 'unknown', reason: /may have reached Facebook/ }],
  ['timeout after sending retries when at-least-once', { kind: 'transient', code: 0, subcode: null, delivery: 'unknown' }, 1, true, { action: 'retry', at: now + 250 }],
  ['timeout after sending fails after max attempts when at-least-once', { kind: 'transient', code: null, subcode: null, delivery: 'unknown' }, 8, true, { action: 'fail', code: null, subcode: null, reason: /after 8 attempts/ }],
  ['code 2 retries at attempt 2', answered('transient', 2), 2, false, { action: 'retry', at: now + 500 }],
  ['code 2 fails at attempt 3: maybe blocked', answered('transient', 2), 3, false, { action: 'fail', code: 2, subcode: null, reason: /blocked the Page/ }],
  ['10/2018278 outside window fails', answered('permission', 10, 2018278), 1, false, { action: 'fail', code: 10, subcode: 2018278, reason: /outside the allowed window/ }],
  ['100/2018001 no matching user fails', answered('invalid_request', 100, 2018001), 1, false, { action: 'fail', code: 100, subcode: 2018001, reason: /no person with this id/ }],
  ['551/1545041 unavailable fails', answered('invalid_request', 551, 1545041), 1, false, { action: 'fail', code: 551, subcode: 1545041, reason: /isn't available right now/ }],
  ['100 bad parameter fails', answered('invalid_request', 100), 1, false, { action: 'fail', code: 100, subcode: null, reason: /invalid \(bad parameter\)/ }],
  ['code 10 other permission holds', answered('permission', 10), 1, false, { action: 'hold', reason: /pages_messaging/ }],
  ['code 230 permission holds', answered('permission', 230), 1, false, { action: 'hold', reason: /lacks permission/ }],
  ['other invalid request fails with code and subcode', answered('invalid_request', 1200, 7), 1, false, { action: 'fail', code: 1200, subcode: 7, reason: /code 1200, subcode 7/ }],
];

describe('a failed send is retried, failed, held or marked unknown', () => {
  it.each(cases)('%s', (_name, error, attempt, atLeastOnce, expected) => {
    const d: SendRetryDecision = decideSendRetry({ error, attempt, atLeastOnce, now, random: half });
    if ('reason' in expected) {
      expect(d).toMatchObject({ ...expected, reason: expect.stringMatching(expected.reason) });
    } else {
      expect(d).toEqual(expected);
    }
  });

  it('honours a custom maxAttempts', () => {
    expect(decideSendRetry({ error: answered('transient', 1), attempt: 2, now, random: half, maxAttempts: 2 }).action).toBe('fail');
    expect(decideSendRetry({ error: answered('transient', 2), attempt: 1, now, random: half, maxAttempts: 1 }).action).toBe('fail');
  });
});

describe('backoff is exponential with full jitter', () => {
  it.each([
    [1, 0, 0],
    [1, 0.999, 499],
    [2, 0.999, 999],
    [4, 1 - 1e-9, 3999],
    [30, 0.5, 150_000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, ms) => {
    expect(backoffDelayMs(attempt, () => r)).toBe(ms);
  });
});
