import { createHmac, timingSafeEqual } from 'node:crypto';

/** A short, tamper-proof value with an expiry, for cookies (connect state, admin session). */
export interface ValueSigner {
  /** `b64url(value).expiresAtMs.b64url(hmac)`. */
  sign(value: string, ttlMs: number, now?: number): string;
  /** The value when the token is intact and not expired, else null. Never throws. */
  verify(token: unknown, now?: number): string | null;
}

/**
 * Builds a signer whose key is derived from `secret` and `purpose`, so a cookie made for one
 * purpose (say the connect state) is never accepted for another (the admin session), and the
 * raw secret is never used directly as a cookie key.
 */
export function createValueSigner(secret: string, purpose: string): ValueSigner {
  const key = createHmac('sha256', secret).update(`pagekeeper:${purpose}`).digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest();
  return {
    sign(value, ttlMs, now = Date.now()) {
      const body = `${Buffer.from(value, 'utf8').toString('base64url')}.${Math.floor(now + ttlMs)}`;
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token, now = Date.now()) {
      if (typeof token !== 'string' || token.length > 4096) return null;
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const [valueText, expiresText, sigText] = parts as [string, string, string];
      if (!/^\d{1,16}$/.test(expiresText) || !/^[A-Za-z0-9_-]*$/.test(valueText) || !/^[A-Za-z0-9_-]+$/.test(sigText)) return null;
      const given = Buffer.from(sigText, 'base64url');
      // Only the canonical spelling: base64url's last character carries padding bits that
      // decode to the same bytes, so a changed character must not verify as the same signature.
      if (given.toString('base64url') !== sigText) return null;
      const expected = mac(`${valueText}.${expiresText}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (Number(expiresText) <= now) return null;
      return Buffer.from(valueText, 'base64url').toString('utf8');
    },
  };
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'pagekeeper:compare').update(a).digest();
  const hb = createHmac('sha256', 'pagekeeper:compare').update(b).digest();
  return timingSafeEqual(ha, hb);
}
