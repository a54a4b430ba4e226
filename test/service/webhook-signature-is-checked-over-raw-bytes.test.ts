import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifyWebhookSignature } from '../../src/service/security/verify-webhook-signature.js';

const SECRET = 'app-secret-0123456789abcdef';
const hex = (body: Uint8Array | string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

// Facebook signs its own serialisation, with non-ASCII escaped: these two bodies mean the same
// JSON but are different bytes, and each verifies only against its own signature.
const escaped = Buffer.from('{"text":"gr\\u00fc\\u00df dich \\ud83d\\ude00"}', 'utf8');
const rawUtf8 = Buffer.from('{"text":"grüß dich 😀"}', 'utf8');

describe('a webhook signature', () => {
  it.each([
    ['a correct signature', escaped, `sha256=${hex(escaped)}`, true],
    ['a correct signature in upper-case hex', escaped, `sha256=${hex(escaped).toUpperCase()}`, true],
    ['a correct signature over raw UTF-8', rawUtf8, `sha256=${hex(rawUtf8)}`, true],
    ['the \\u-escaped body checked against the raw UTF-8 signature', escaped, `sha256=${hex(rawUtf8)}`, false],
    ['a re-serialised body', Buffer.from(JSON.stringify(JSON.parse(escaped.toString('utf8')))), `sha256=${hex(escaped)}`, false],
    ['no header', escaped, undefined, false],
    ['an empty header', escaped, '', false],
    ['sha1 instead of sha256', escaped, `sha1=${hex(escaped)}`, false],
    ['a truncated hex', escaped, `sha256=${hex(escaped).slice(0, 63)}`, false],
    ['non-hex characters', escaped, `sha256=${'z'.repeat(64)}`, false],
    ['the right HMAC with another secret', escaped, `sha256=${hex(escaped, 'other')}`, false],
    ['a header given twice', escaped, [`sha256=${hex(escaped)}`, `sha256=${hex(escaped)}`], false],
  ] as const)('%s -> %s', (_name, body, header, expected) => {
    expect(verifyWebhookSignature(body, header as string | string[] | undefined, SECRET)).toBe(expected);
  });

  it('is never accepted when no app secret is configured', () => {
    expect(verifyWebhookSignature(escaped, signBody(escaped, ''), '')).toBe(false);
  });

  it('accepts exactly the bytes it was made for (random bodies)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (body, flip) => {
        const header = signBody(body, SECRET);
        expect(verifyWebhookSignature(body, header, SECRET)).toBe(true);
        const changed = Buffer.concat([Buffer.from(body), Buffer.from(flip)]);
        expect(verifyWebhookSignature(changed, header, SECRET)).toBe(false);
      }),
    );
  });

  it('never throws and never accepts a random header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.oneof(fc.string(), fc.stringMatching(/^sha256=[0-9a-f]{64}$/)), (body, header) => {
        expect(verifyWebhookSignature(body, header, SECRET)).toBe(header === signBody(body, SECRET));
      }),
    );
  });
});
