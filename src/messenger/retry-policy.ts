/**
 * What the outbox does with a send that failed: retry it later, fail it for good, hold it
 * until the Page is reconnected, or mark it `unknown` because it may already have gone out.
 *
 * The rules follow docs/graph-api.md ("Error object", "Messenger Send API") and the outbox's promise to lose nothing and send nothing twice:
 * - Facebook does not de-duplicate sends, so a request that may have reached Facebook without
 *   an answer is never retried blindly: it becomes `unknown` unless the caller chose at-least-once.
 * - Token-wide losses hold the Page's messages: 190/102, and a token that lost pages_messaging or
 *   the MESSAGING task (bare 10, 200-299, 230). A held Page resumes only when its tokens change
 *   (resume-held.ts), never on a timer alone.
 * - Refusals about one recipient (development mode "not a tester", 551, 1545041, 2018108, 2018001,
 *   the window) fail that message only, with the code, a plain reason and the fix.
 * - Throttling is retried no matter how often: the throttle slows the Page, the message stays queued.
 * - Errors about this message or this person fail it with the Graph code and a plain-words reason.
 *
 * General idempotent Graph calls use the Graph client's own `decideRetry` (src/graph/decide-retry.ts).
 */
import type { GraphDelivery, GraphErrorKind } from '../graph/graph-error.js';
import { recipientRefusal } from './recipient-refusal.js';

export const DEFAULT_MAX_ATTEMPTS = 8;
/** Code 2 ("temporary service error") can also mean the person blocked the Page: retry a little, then give up. */
export const CODE_2_MAX_ATTEMPTS = 3;
export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 5 * 60 * 1000;

export interface SendFailure {
  kind: GraphErrorKind;
  /** Graph's error code; 0 or null when there was no Graph error body (network, timeout). */
  code: number | null;
  subcode: number | null;
  delivery: GraphDelivery;
  /** How long Facebook asked to wait (Retry-After, estimated_time_to_regain_access); null when it did not say. */
  retryAfterMs?: number | null;
  /** Facebook's error message: tells the development-mode refusal (a bare code 10) from a lost permission. */
  message?: string;
}

export interface SendRetryInput {
  error: SendFailure;
  /** Attempts made so far, including the one that just failed (1 after the first failure). */
  attempt: number;
  /** The caller accepts a possible duplicate rather than a possible loss. */
  atLeastOnce?: boolean;
  /** ms since epoch. */
  now: number;
  /** In [0, 1); injected so tests pin the jitter. */
  random: () => number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export type SendRetryDecision =
  | { action: 'retry'; at: number }
  | { action: 'fail'; code: number | null; subcode: number | null; reason: string }
  | { action: 'hold'; reason: string }
  | { action: 'unknown'; reason: string };

/**
 * Exponential backoff with full jitter (a random delay between 0 and base * 2^(attempt-1),
 * capped): spreads retries of many messages so they do not hit Facebook together.
 */
export function backoffDelayMs(attempt: number, random: () => number, baseDelayMs = DEFAULT_BASE_DELAY_MS, maxDelayMs = DEFAULT_MAX_DELAY_MS): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** "Temporarily restricted from sending messages": Page-wide, lifts on its own; retried slowly, then failed. */
const TEMPORARILY_RESTRICTED = 1893063;

/**
 * Send errors that no retry can fix, in plain words: refusals about this recipient or message
 * (recipient-refusal.ts, docs/graph-api.md "Messenger Send API") come with what to do; they never hold the Page.
 */
function permanentReason(code: number | null, subcode: number | null, message: string | undefined): string | null {
  const refusal = recipientRefusal(code, subcode, message);
  if (refusal !== null) return `${refusal.reason} (code ${code ?? 'none'}${subcode === null ? '' : `, subcode ${subcode}`}). Fix: ${refusal.fix}`;
  if (code === 100) return 'Facebook refused the message as invalid (bad parameter)';
  return null;
}

/** Decides what happens to a send that failed. Pure: time and randomness come in as arguments. */
export function decideSendRetry(input: SendRetryInput): SendRetryDecision {
  const { error, attempt, now, random } = input;
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const base = input.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const cap = input.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const code = error.code === 0 ? null : error.code;
  const subcode = error.subcode;

  if (error.kind === 'token_invalid') {
    return { action: 'hold', reason: `The Page's token is no longer valid (code ${code ?? 'none'}); messages wait until someone reconnects the Page` };
  }

  // No answer after the request may have reached Facebook: retrying could send it twice.
  if (error.delivery === 'unknown' && input.atLeastOnce !== true) {
    return { action: 'unknown', reason: 'The request may have reached Facebook but no answer came back; it is not retried so the person does not get it twice' };
  }

  const permanent = permanentReason(code, subcode, error.message);
  if (permanent !== null) return { action: 'fail', code, subcode, reason: permanent };

  if (code === 10 && subcode === TEMPORARILY_RESTRICTED) {
    // Not a lost permission (holding would wait for a token change that never comes): retry late.
    if (attempt < maxAttempts) return { action: 'retry', at: now + Math.max(error.retryAfterMs ?? 0, cap) };
    return { action: 'fail', code, subcode, reason: `Facebook says the Page is temporarily restricted from sending messages (code 10, subcode ${subcode}); still so after ${attempt} attempts` };
  }

  if (error.kind === 'rate_limited') {
    const wait = Math.max(error.retryAfterMs ?? 0, backoffDelayMs(attempt, random, base, cap));
    return { action: 'retry', at: now + wait };
  }

  if (error.kind === 'permission') {
    // 10 and 200-299 other than the window refusal: the Page's token lost pages_messaging or the
    // person lost the MESSAGING task. A reconnect fixes it for every message of the Page, so hold.
    return { action: 'hold', reason: `The Page's token lacks permission to send messages (code ${code ?? 'none'}); reconnect with pages_messaging granted for this Page` };
  }

  if (error.kind === 'transient') {
    const limit = code === 2 ? Math.min(CODE_2_MAX_ATTEMPTS, maxAttempts) : maxAttempts;
    if (attempt < limit) return { action: 'retry', at: now + backoffDelayMs(attempt, random, base, cap) };
    const reason =
      code === 2
        ? `Facebook answered "temporary error" (code 2) ${attempt} times; this often means the person blocked the Page or cannot be messaged`
        : `Facebook kept failing with a temporary error (code ${code ?? 'none'}) after ${attempt} attempts`;
    return { action: 'fail', code, subcode, reason };
  }

  return { action: 'fail', code, subcode, reason: `Facebook refused the message (code ${code ?? 'none'}${subcode === null ? '' : `, subcode ${subcode}`})` };
}
