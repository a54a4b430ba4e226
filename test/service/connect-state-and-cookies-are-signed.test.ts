import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONNECT_STATE_TTL_MS, createConnectStateGuard } from '../../src/service/security/connect-state.js';
import { createValueSigner } from '../../src/service/security/signed-value.js';

const T0 = 1_800_000_000_000;

describe('the connect state', () => {
  it('is accepted once, from the browser it was issued to, before it expires', () => {
    const guard = createConnectStateGuard('secret');
    const { state, cookie } = guard.issue(T0);
    expect(guard.check(state, cookie, T0 + 1000)).toEqual({ ok: true });
    expect(guard.check(state, cookie, T0 + 2000)).toEqual({ ok: false, why: 'replayed' });
  });

  it.each([
    ['no state', (s: string, c: string) => [undefined, c], 'missing'],
    ['no cookie', (s: string) => [s, undefined], 'missing'],
    ['another browser (cookie of another state)', (s: string) => [s, createConnectStateGuard('secret').issue(T0).cookie], 'mismatch'],
    ['a forged cookie', (s: string, c: string) => [s, c.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A'))], 'invalid'],
    ['a cookie signed with another secret', (s: string) => [s, createValueSigner('other', 'connect-state').sign(s, 60_000, T0)], 'invalid'],
    ['a cookie made for the admin session', (s: string) => [s, createValueSigner('secret', 'admin-session').sign(s, 60_000, T0)], 'invalid'],
  ] as const)('is refused with %s', (_name, tamper, why) => {
    const guard = createConnectStateGuard('secret');
    const { state, cookie } = guard.issue(T0);
    const [s, c] = tamper(state, cookie);
    expect(guard.check(s, c, T0 + 1000)).toEqual({ ok: false, why });
  });

  it('refuses a signature spelled differently even when it decodes to the same bytes', () => {
    // A 32-byte HMAC is 43 base64url characters: the last one carries 2 padding bits, so
    // flipping its lowest bit changes the text but not the decoded bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const signer = createValueSigner('secret', 'connect-state');
    const cookie = signer.sign('value', 60_000, T0);
    const last = alphabet.indexOf(cookie.at(-1)!);
    const respelled = cookie.slice(0, -1) + alphabet[last ^ 1]!;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(cookie.split('.')[2]!, 'base64url'));
    expect(signer.verify(cookie, T0 + 1000)).toBe('value');
    expect(signer.verify(respelled, T0 + 1000)).toBeNull();
  });

  it('expires after its lifetime', () => {
    const guard = createConnectStateGuard('secret');
    const { state, cookie } = guard.issue(T0);
    expect(guard.check(state, cookie, T0 + CONNECT_STATE_TTL_MS)).toEqual({ ok: false, why: 'invalid' });
  });

  it('never throws on random states and cookies', () => {
    const guard = createConnectStateGuard('secret');
    fc.assert(
      fc.property(fc.anything(), fc.oneof(fc.string(), fc.anything()), (s, c) => {
        expect(guard.check(s, c, T0).ok).toBe(false);
      }),
    );
  });
});
