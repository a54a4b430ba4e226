/**
 * Outgoing calls Facebook makes to the app: the hub.challenge handshake, signed messaging
 * events and deauthorize callbacks (graph-api-notes.md "Webhooks").
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

/** `b64url(sig).b64url(payload)` with sig = HMAC-SHA256(app secret, the payload's base64url text). */
export function signedRequest(secret: string, payload: Record<string, unknown>): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createHmac('sha256', secret).update(body).digest('base64url');
  return `${sig}.${body}`;
}

export interface DeliveryResult {
  delivered: boolean;
  status?: number;
  error?: string;
}

async function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<DeliveryResult> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    await res.arrayBuffer();
    return { delivered: res.ok, status: res.status };
  } catch (e) {
    return { delivered: false, error: e instanceof Error ? e.message : String(e) };
  }
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

export function deliverEvent(url: string, secret: string, payload: unknown): Promise<DeliveryResult> {
  const bytes = Buffer.from(facebookJson(payload), 'utf8');
  return post(url, bytes, { 'content-type': 'application/json', 'x-hub-signature-256': signatureHeader(secret, bytes), 'user-agent': 'facebookexternalua' });
}

export function deliverSignedRequest(url: string, secret: string, payload: Record<string, unknown>): Promise<DeliveryResult> {
  const form = new URLSearchParams({ signed_request: signedRequest(secret, payload) }).toString();
  return post(url, form, { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'facebookexternalua' });
}
