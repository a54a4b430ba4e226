import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { pkError } from '../../errors.js';

/**
 * The payload of a deauthorize or data-deletion callback (docs/graph-api.md "Webhooks";
 * https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback).
 * Unknown fields are kept out: only what pagekeeper acts on is read.
 */
const SignedRequestPayloadSchema = z.object({
  algorithm: z.string().refine((a) => a.toUpperCase() === 'HMAC-SHA256', 'algorithm must be HMAC-SHA256'),
  user_id: z.union([z.string(), z.number().int().nonnegative()]).transform(String).pipe(z.string().regex(/^\d{1,30}$/, 'user_id must be numeric')),
  issued_at: z.number().int().optional(),
  expires: z.number().int().optional(),
  // Present in the values Facebook Login gives the app (the JS SDK's authResponse), never in a
  // deauthorize or data-deletion callback: such a value is refused.
  code: z.unknown().optional(),
});

export interface SignedRequest {
  userId: string;
  issuedAt: Date | null;
  /** The value carries a Login `code`: it was made for Facebook Login, not for a callback. */
  hasCode: boolean;
}

/**
 * A callback's signed_request is fresh for this long after its `issued_at`; Facebook posts the
 * callback when the person acts, and the data-deletion example gives `expires = issued_at + 3600`
 * (https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback).
 */
export const SIGNED_REQUEST_MAX_AGE_MS = 60 * 60 * 1000;
/** How far in the future `issued_at` may be: clocks differ. */
export const SIGNED_REQUEST_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Refuses a verified value that is not a fresh callback: no `issued_at`, older than an hour,
 * from the future beyond the clock skew, or carrying a Login `code`.
 * @throws PK_SIGNED_REQUEST_INVALID
 */
export function assertFreshCallback(sr: SignedRequest, nowMs: number): void {
  const invalid = (detail: string) => pkError('PK_SIGNED_REQUEST_INVALID', { detail });
  if (sr.hasCode) throw invalid('it carries a Login code; only deauthorize and data-deletion callbacks are accepted here');
  if (sr.issuedAt === null) throw invalid('issued_at is missing');
  const at = sr.issuedAt.getTime();
  if (at > nowMs + SIGNED_REQUEST_CLOCK_SKEW_MS) throw invalid('issued_at is in the future; check this server\'s clock');
  if (nowMs - at > SIGNED_REQUEST_MAX_AGE_MS) throw invalid('issued_at is more than an hour old');
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** signed_request values are small; a huge one is hostile. */
export const MAX_SIGNED_REQUEST_LENGTH = 8192;

/**
 * Verifies and parses `signed_request = b64url(sig) "." b64url(payload)`, where
 * `sig = HMAC-SHA256(app secret, the payload's base64url text)`.
 * @throws PK_SIGNED_REQUEST_INVALID for anything malformed, wrongly signed or with another algorithm.
 */
export function parseSignedRequest(value: unknown, appSecret: string): SignedRequest {
  const invalid = (detail: string) => pkError('PK_SIGNED_REQUEST_INVALID', { detail });
  if (typeof value !== 'string' || value === '') throw invalid('missing');
  if (value.length > MAX_SIGNED_REQUEST_LENGTH) throw invalid('too long');
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) throw invalid('expected signature.payload');
  const sigText = value.slice(0, dot);
  const payloadText = value.slice(dot + 1);
  if (!B64URL.test(sigText) || !B64URL.test(payloadText)) throw invalid('not base64url');
  if (appSecret === '') throw invalid('no app secret configured');

  const given = Buffer.from(sigText, 'base64url');
  const expected = createHmac('sha256', appSecret).update(payloadText).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('signature does not match');

  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8'));
  } catch {
    throw invalid('payload is not JSON');
  }
  const parsed = SignedRequestPayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
  }
  return {
    userId: parsed.data.user_id,
    issuedAt: parsed.data.issued_at === undefined ? null : new Date(parsed.data.issued_at * 1000),
    hasCode: parsed.data.code !== undefined,
  };
}

/** Builds a signed_request the way Facebook does; used by tests and the emulator-backed dev mode. */
export function makeSignedRequest(payload: Record<string, unknown>, appSecret: string): string {
  const payloadText = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const sig = createHmac('sha256', appSecret).update(payloadText).digest('base64url');
  return `${sig}.${payloadText}`;
}
