import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-pagekeeper-signature';

/**
 * `sha256=<lowercase hex HMAC-SHA256(body, secret)>`, the same shape as Facebook's
 * X-Hub-Signature-256, so receivers can reuse their verifier. Computed over the exact bytes sent.
 */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a received signature, for receivers written in TypeScript. */
export function verifyBodySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header.trim().toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}
