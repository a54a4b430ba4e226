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
});

export interface SignedRequest {
  userId: string;
  issuedAt: Date | null;
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
  return { userId: parsed.data.user_id, issuedAt: parsed.data.issued_at === undefined ? null : new Date(parsed.data.issued_at * 1000) };
}

/** Builds a signed_request the way Facebook does; used by tests and the emulator-backed dev mode. */
export function makeSignedRequest(payload: Record<string, unknown>, appSecret: string): string {
  const payloadText = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const sig = createHmac('sha256', appSecret).update(payloadText).digest('base64url');
  return `${sig}.${payloadText}`;
}
