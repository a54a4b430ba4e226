import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { makeSignedRequest, parseSignedRequest } from '../../src/service/security/parse-signed-request.js';

const SECRET = 'app-secret-for-signed-requests';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const sign = (payloadText: string, secret = SECRET) => createHmac('sha256', secret).update(payloadText).digest('base64url');

function refusal(value: unknown): string | null {
  try {
    parseSignedRequest(value, SECRET);
    return null;
  } catch (e) {
    if (!isPageKeeperError(e, 'PK_SIGNED_REQUEST_INVALID')) throw e;
    return e.message;
  }
}

describe('a signed_request', () => {
  it('yields the user id when it is signed with the app secret', () => {
    const value = makeSignedRequest({ user_id: '218471', algorithm: 'HMAC-SHA256', issued_at: 1291836800 }, SECRET);
    expect(parseSignedRequest(value, SECRET)).toEqual({ userId: '218471', issuedAt: new Date(1291836800_000), hasCode: false });
  });

  it('accepts unknown fields and a numeric user id', () => {
    const value = makeSignedRequest({ user_id: 218471, algorithm: 'HMAC-SHA256', issued_at: 1, expires: 2, extra: { a: 1 } }, SECRET);
    expect(parseSignedRequest(value, SECRET).userId).toBe('218471');
  });

  const good = b64(JSON.stringify({ user_id: '1', algorithm: 'HMAC-SHA256' }));
  it.each([
    ['missing', undefined, /missing/],
    ['empty', '', /missing/],
    ['not a string', 42, /missing/],
    ['without a dot', good, /signature\.payload/],
    ['with two dots', `${sign(good)}.${good}.x`, /signature\.payload/],
    ['signed with another secret', `${sign(good, 'other')}.${good}`, /does not match/],
    ['signed over the decoded JSON instead of the base64url text', `${sign(Buffer.from(good, 'base64url').toString())}.${good}`, /does not match/],
    ['with another algorithm', `${sign(b64('{"user_id":"1","algorithm":"HMAC-SHA1"}'))}.${b64('{"user_id":"1","algorithm":"HMAC-SHA1"}')}`, /algorithm/],
    ['without user_id', `${sign(b64('{"algorithm":"HMAC-SHA256"}'))}.${b64('{"algorithm":"HMAC-SHA256"}')}`, /user_id/],
    ['with a non-numeric user_id', `${sign(b64('{"user_id":"1 OR 1=1","algorithm":"HMAC-SHA256"}'))}.${b64('{"user_id":"1 OR 1=1","algorithm":"HMAC-SHA256"}')}`, /user_id/],
    ['whose payload is not JSON', `${sign(b64('nope'))}.${b64('nope')}`, /not JSON/],
    ['not base64url', `${sign(good)}.${good}!`, /base64url/],
    ['huge', `${'a'.repeat(9000)}.${good}`, /too long/],
  ])('is refused when %s', (_name, value, why) => {
    expect(refusal(value)).toMatch(why);
  });

  it('never throws anything but PK_SIGNED_REQUEST_INVALID on random input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}.${b}`), fc.anything()), (value) => {
        expect(refusal(value)).not.toBeNull();
      }),
    );
  });

  it('accepts every payload it signed, and nothing once one byte changes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,20}$/), fc.integer({ min: 0, max: 2 ** 31 }), (userId, issuedAt) => {
        const value = makeSignedRequest({ user_id: userId, algorithm: 'HMAC-SHA256', issued_at: issuedAt }, SECRET);
        expect(parseSignedRequest(value, SECRET).userId).toBe(userId);
        const tampered = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
        expect(refusal(tampered)).not.toBeNull();
      }),
    );
  });
});
