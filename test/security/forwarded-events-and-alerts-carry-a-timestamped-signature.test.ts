/**
 * What pagekeeper sends out (forwarded webhook bodies, health alerts) is signed
 * `t=<unix s>,v1=<HMAC-SHA256(secret, "<t>." + body)>`, so a receiver can refuse a captured
 * request replayed later; forwarding and alerts use two different secrets.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { signBody, verifyBodySignature } from '../../src/notify/sign-body.js';

const SECRET = 'forward-secret-0123456789';
const body = '{"object":"page","entry":[]}';

describe('X-Pagekeeper-Signature', () => {
  it('is t=...,v1=... over the timestamp and the exact bytes', () => {
    const at = Date.UTC(2026, 0, 1);
    const header = signBody(body, SECRET, at);
    const t = at / 1000;
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`);
  });

  it('verifies within five minutes, and refuses replays, other bodies, other secrets and junk', () => {
    const now = Date.now();
    const header = signBody(body, SECRET, now);
    expect(verifyBodySignature(body, SECRET, header, { nowMs: now + 299_000 })).toBe(true);
    expect(verifyBodySignature(Buffer.from(body), SECRET, header, { nowMs: now })).toBe(true);
    // The same request captured and replayed six minutes later.
    expect(verifyBodySignature(body, SECRET, header, { nowMs: now + 360_000 })).toBe(false);
    expect(verifyBodySignature(body, SECRET, header, { nowMs: now - 360_000 })).toBe(false);
    expect(verifyBodySignature(`${body} `, SECRET, header, { nowMs: now })).toBe(false);
    expect(verifyBodySignature(body, 'alert-secret-0123456789', header, { nowMs: now })).toBe(false);
    // A timestamp moved forward without the key does not verify.
    const [, v1] = /v1=([0-9a-f]+)/.exec(header)!;
    expect(verifyBodySignature(body, SECRET, `t=${Math.floor(now / 1000) + 1000},v1=${v1}`, { nowMs: now + 1_000_000 })).toBe(false);
    for (const junk of [undefined, '', 'sha256=abc', `v1=${v1}`, `t=${Math.floor(now / 1000)}`, 'x'.repeat(5000)]) {
      expect(verifyBodySignature(body, SECRET, junk, { nowMs: now })).toBe(false);
    }
  });

  it('uses a forwarding secret that must differ from the alert secret', () => {
    const env = { PAGEKEEPER_NOTIFY_WEBHOOK_SECRET: 'same-secret-0123456789', PAGEKEEPER_FORWARD_SECRET: 'same-secret-0123456789' };
    expect(() => loadConfig({ cwd: '/nonexistent', env })).toThrow(/PAGEKEEPER_FORWARD_SECRET.*differ/);
    expect(loadConfig({ cwd: '/nonexistent', env: { ...env, PAGEKEEPER_FORWARD_SECRET: 'another-secret-0123456789' } }).forwardSecret).toBe('another-secret-0123456789');
  });
});
