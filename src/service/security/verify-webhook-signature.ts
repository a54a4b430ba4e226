import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=` followed by exactly 64 lowercase or uppercase hex digits. */
const SIGNATURE_HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Checks Facebook's `X-Hub-Signature-256` header against the raw request bytes.
 *
 * The HMAC is computed over the bytes exactly as received: Facebook signs its own
 * serialisation, with non-ASCII escaped as `\u00e4`, so any re-serialisation of the parsed
 * JSON would break the signature (docs/graph-api.md "Webhooks";
 * https://developers.facebook.com/docs/messenger-platform/webhooks#validate-payloads).
 * Never throws: a missing, malformed or wrong header is simply `false`.
 */
export function verifyWebhookSignature(rawBody: Uint8Array, header: string | string[] | undefined, appSecret: string): boolean {
  if (typeof header !== 'string' || appSecret === '') return false;
  const match = SIGNATURE_HEADER.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1].toLowerCase(), 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `sha256=<hex>` for a body, as Facebook signs it and as pagekeeper signs what it forwards. */
export function signBody(rawBody: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
