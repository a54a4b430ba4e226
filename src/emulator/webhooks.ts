/**
 * Outgoing calls Facebook makes to the app: the hub.challenge handshake, signed messaging
 * events and deauthorize callbacks (docs/graph-api.md "Webhooks").
 */
import { createHmac, randomInt } from 'node:crypto';

const DELIVERY_TIMEOUT_MS = 5000;

/** JSON as Facebook sends it: every non-ASCII character \u-escaped, so the bytes are pure ASCII. */
export function facebookJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function signatureHeader(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * The legacy `X-Hub-Signature: sha1=<hex HMAC-SHA1>` header. Meta's current pages describe only
 * X-Hub-Signature-256, but deliveries recorded from Facebook still carry both headers, and frameworks
 * that check only sha1 depend on it (docs/emulator.md "Webhook signatures").
 */
export function sha1SignatureHeader(secret: string, body: Buffer | string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

/** `b64url(sig).b64url(payload)` with sig = HMAC-SHA256(app secret, the payload's base64url text). */
export function signedRequest(secret: string, payload: Record<string, unknown>): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createHmac('sha256', secret).update(body).digest('base64url');
  return `${sig}.${body}`;
}

const ANSWER_KEPT_BYTES = 64 * 1024;

export interface DeliveryAttempt {
  /** ISO 8601 on the emulator clock. */
  at: string;
  status?: number;
  error?: string;
}

export interface DeliveryResult {
  delivered: boolean;
  status?: number;
  error?: string;
  /** Every POST made for this delivery, first one first. */
  attempts: DeliveryAttempt[];
  /** The receiver's answer body (first 64 KiB), for callbacks whose answer matters (data deletion). */
  answer?: string;
}

/**
 * Facebook retries a failed messaging delivery (docs/graph-api.md "Webhooks": non-2xx or no answer within 5 s)
 * with growing pauses, over hours; the emulator does the same in milliseconds so tests can watch it.
 */
export interface RetryPolicy {
  maxAttempts: number;
  /** Pause before the 2nd attempt; doubles for each further one. */
  firstDelayMs: number;
}

export const NO_RETRY: RetryPolicy = { maxAttempts: 1, firstDelayMs: 0 };
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, firstDelayMs: 100 };

/** Pause before attempt `n` (1-based): none before the first, then firstDelayMs, 2x, 4x, ... */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return attempt <= 1 ? 0 : policy.firstDelayMs * 2 ** (attempt - 2);
}

async function postOnce(url: string, body: Buffer | string, headers: Record<string, string>, at: string): Promise<{ attempt: DeliveryAttempt; ok: boolean; answer?: string }> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    const answer = Buffer.from(await res.arrayBuffer()).subarray(0, ANSWER_KEPT_BYTES).toString('utf8');
    return { attempt: { at, status: res.status }, ok: res.ok, answer };
  } catch (e) {
    return { attempt: { at, error: e instanceof Error ? e.message : String(e) }, ok: false };
  }
}

async function post(url: string, body: Buffer | string, headers: Record<string, string>, policy: RetryPolicy, now: () => number): Promise<DeliveryResult> {
  const attempts: DeliveryAttempt[] = [];
  let last: Awaited<ReturnType<typeof postOnce>> | undefined;
  for (let n = 1; n <= Math.max(1, policy.maxAttempts); n++) {
    const pause = retryDelayMs(policy, n);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    last = await postOnce(url, body, headers, new Date(now()).toISOString());
    attempts.push(last.attempt);
    if (last.ok) break;
  }
  const result: DeliveryResult = { delivered: last!.ok, attempts };
  if (last!.attempt.status !== undefined) result.status = last!.attempt.status;
  if (last!.attempt.error !== undefined) result.error = last!.attempt.error;
  if (last!.answer !== undefined) result.answer = last!.answer;
  return result;
}

/** Facebook's verification GET; resolves with an error text when the endpoint does not echo the challenge. */
export async function verifyEndpoint(url: string, verifyToken: string): Promise<string | undefined> {
  const challenge = String(randomInt(1_000_000_000, 2_000_000_000));
  const u = new URL(url);
  u.searchParams.set('hub.mode', 'subscribe');
  u.searchParams.set('hub.verify_token', verifyToken);
  u.searchParams.set('hub.challenge', challenge);
  try {
    const res = await fetch(u, { signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    const text = await res.text();
    if (res.status !== 200) return `the callback URL answered the verification request with HTTP ${res.status}`;
    if (text.trim() !== challenge) return 'the callback URL did not answer with the hub.challenge value as the whole body';
    return undefined;
  } catch (e) {
    return `the callback URL could not be reached: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** One messaging event, retried per `policy`; every attempt sends the same bytes and signature. */
export function deliverEvent(url: string, secret: string, payload: unknown, policy: RetryPolicy = NO_RETRY, now: () => number = Date.now): Promise<DeliveryResult> {
  const bytes = Buffer.from(facebookJson(payload), 'utf8');
  const headers = { 'content-type': 'application/json', 'x-hub-signature': sha1SignatureHeader(secret, bytes), 'x-hub-signature-256': signatureHeader(secret, bytes), 'user-agent': 'facebookexternalua' };
  return post(url, bytes, headers, policy, now);
}

/** Deauthorize and data-deletion callbacks: one form POST with `signed_request`. */
export function deliverSignedRequest(url: string, secret: string, payload: Record<string, unknown>, now: () => number = Date.now): Promise<DeliveryResult> {
  const form = new URLSearchParams({ signed_request: signedRequest(secret, payload) }).toString();
  return post(url, form, { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'facebookexternalua' }, NO_RETRY, now);
}
