import { randomBytes } from 'node:crypto';
import { createValueSigner, safeEqual, type ValueSigner } from './signed-value.js';

/** The Login dialog round trip takes seconds; ten minutes leaves room for a slow consent. */
export const CONNECT_STATE_TTL_MS = 10 * 60 * 1000;
export const CONNECT_STATE_COOKIE = 'pk_connect_state';
/** Remembered nonces, so a state is accepted once per process even within its lifetime. */
const MAX_REMEMBERED_NONCES = 10_000;

export interface ConnectStateIssued {
  /** Goes into the dialog URL as `state`. */
  state: string;
  /** Goes into the HttpOnly cookie; binds the state to this browser. */
  cookie: string;
}

export type ConnectStateCheck = { ok: true } | { ok: false; why: 'missing' | 'invalid' | 'mismatch' | 'replayed' };

/**
 * The `state` of the connect flow (CSRF protection for the OAuth callback,
 * https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow#confirm):
 * a random nonce sent as `state`, with a signed, expiring copy in a cookie. The callback
 * accepts only a state that equals the nonce in an intact, unexpired cookie, once.
 */
export interface ConnectStateGuard {
  issue(now?: number): ConnectStateIssued;
  check(state: unknown, cookie: unknown, now?: number): ConnectStateCheck;
}

export function createConnectStateGuard(secret: string, ttlMs = CONNECT_STATE_TTL_MS): ConnectStateGuard {
  const signer: ValueSigner = createValueSigner(secret, 'connect-state');
  const used = new Map<string, number>();
  const forgetExpired = (now: number) => {
    for (const [nonce, until] of used) if (until <= now || used.size > MAX_REMEMBERED_NONCES) used.delete(nonce);
  };
  return {
    issue(now = Date.now()) {
      const state = randomBytes(24).toString('base64url');
      return { state, cookie: signer.sign(state, ttlMs, now) };
    },
    check(state, cookie, now = Date.now()) {
      if (typeof state !== 'string' || state === '' || typeof cookie !== 'string' || cookie === '') return { ok: false, why: 'missing' };
      const nonce = signer.verify(cookie, now);
      if (nonce === null) return { ok: false, why: 'invalid' };
      if (!safeEqual(nonce, state)) return { ok: false, why: 'mismatch' };
      forgetExpired(now);
      if (used.has(nonce)) return { ok: false, why: 'replayed' };
      used.set(nonce, now + ttlMs);
      return { ok: true };
    },
  };
}
