import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-pagekeeper-signature';
/** A receiver refuses a signature whose timestamp is further than this from its clock (replays). */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

const hmac = (secret: string, t: number, body: string | Buffer) => createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

/**
 * `t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>." + body)>`, the scheme Stripe
 * documents (https://docs.stripe.com/webhooks#verify-manually): the timestamp is signed with the
 * exact bytes sent, so a receiver can refuse an old request replayed to it. Each delivery
 * attempt is signed afresh.
 */
export function signBody(body: string | Buffer, secret: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

/**
 * The receiver's check: the header parses, its timestamp is within `toleranceS` of now, and one
 * of its `v1` signatures matches (constant time). For receivers written in TypeScript; the steps
 * are in docs/service.md for everyone else.
 */
export function verifyBodySignature(
  body: string | Buffer,
  secret: string,
  header: string | undefined,
  options: { toleranceS?: number; nowMs?: number } = {},
): boolean {
  if (typeof header !== 'string' || header.length > 1024) return false;
  let t: number | undefined;
  const given: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2) as [string, string | undefined];
    if (k === 't' && v !== undefined && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)) given.push(v);
  }
  if (t === undefined || given.length === 0) return false;
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (options.toleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S)) return false;
  const expected = Buffer.from(hmac(secret, t, body));
  return given.some((g) => timingSafeEqual(Buffer.from(g), expected));
}
