/**
 * One anonymous caller's failed attempts must not deny the API or the dashboard to everyone
 * behind the same address (a same-host reverse proxy makes every client 127.0.0.1): the
 * credential is checked first, only failures are counted, and only failures are answered 429.
 * PAGEKEEPER_TRUST_PROXY makes the forwarded client address the one that is counted.
 */
import { describe, expect, it } from 'vitest';
import { startService } from '../service/service-harness.js';

const ADMIN = 'admin-key-for-tests-0123456789';
const form = (adminKey: string) => ({ method: 'POST' as const, url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `adminKey=${encodeURIComponent(adminKey)}` });

describe('failed authentications from one address', () => {
  it('get 429 themselves, while a valid API key from the same address keeps working', async () => {
    const h = await startService({}, { maxAuthFailures: 3 });
    const key = await h.key(['pages:read']);
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) codes.push((await h.server.app.inject({ url: '/v1/pages', headers: { authorization: 'Bearer pk_nope' } })).statusCode);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(new Set(codes.slice(3))).toEqual(new Set([429]));
    const bad = await h.server.app.inject({ url: '/v1/pages' });
    expect(bad.statusCode).toBe(429);
    expect(Number(bad.headers['retry-after'])).toBeGreaterThan(0);
    // The valid key, from the very same address, is answered, and keeps being answered.
    for (let i = 0; i < 5; i++) expect((await h.server.app.inject({ url: '/v1/pages', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    // The event stream's authentication too (it has its own pre-handler).
    const events = await h.server.app.inject({ url: '/v1/events', headers: { authorization: 'Bearer pk_nope' } });
    expect(events.statusCode).toBe(429);
  });

  it('never refuse a correct admin login, only the wrong ones', async () => {
    const h = await startService({}, { maxAuthFailures: 3 });
    for (let i = 0; i < 3; i++) expect((await h.server.app.inject(form('not-the-admin-key'))).statusCode).toBe(401);
    expect((await h.server.app.inject(form('not-the-admin-key'))).statusCode).toBe(429);
    const ok = await h.server.app.inject(form(ADMIN));
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/');
    expect(String(ok.headers['set-cookie'])).toContain('pk_admin=');
  });

  it('are counted per forwarded client address only behind a trusted proxy', async () => {
    const trusted = await startService({}, { maxAuthFailures: 2, trustProxy: ['127.0.0.1'] });
    const from = (ip: string) => ({ url: '/v1/pages', headers: { authorization: 'Bearer pk_nope', 'x-forwarded-for': ip } });
    for (let i = 0; i < 2; i++) expect((await trusted.server.app.inject(from('203.0.113.7'))).statusCode).toBe(401);
    expect((await trusted.server.app.inject(from('203.0.113.7'))).statusCode).toBe(429);
    // Another client behind the same proxy is still answered 401, not 429.
    expect((await trusted.server.app.inject(from('198.51.100.9'))).statusCode).toBe(401);

    // A hop count trusts the nearest proxy the same way.
    const hops = await startService({}, { maxAuthFailures: 1, trustProxy: 1 });
    expect((await hops.server.app.inject(from('203.0.113.7'))).statusCode).toBe(401);
    expect((await hops.server.app.inject(from('203.0.113.7'))).statusCode).toBe(429);
    expect((await hops.server.app.inject(from('198.51.100.9'))).statusCode).toBe(401);

    // Without PAGEKEEPER_TRUST_PROXY a forged X-Forwarded-For changes nothing: the socket address counts.
    const plain = await startService({}, { maxAuthFailures: 2 });
    for (let i = 0; i < 2; i++) expect((await plain.server.app.inject(from(`192.0.2.${i}`))).statusCode).toBe(401);
    expect((await plain.server.app.inject(from('192.0.2.99'))).statusCode).toBe(429);

    // A proxy that is not on the list cannot choose the address either.
    const other = await startService({}, { maxAuthFailures: 1, trustProxy: ['10.0.0.0/8'] });
    expect((await other.server.app.inject(from('192.0.2.1'))).statusCode).toBe(401);
    expect((await other.server.app.inject(from('192.0.2.2'))).statusCode).toBe(429);
  });
});

describe('PAGEKEEPER_TRUST_PROXY', () => {
  it('takes a hop count or a list of addresses and ranges, and refuses anything else by position', async () => {
    const { loadConfig } = await import('../../src/config/load-config.js');
    const cfg = (v: string) => loadConfig({ cwd: '/nonexistent', env: { PAGEKEEPER_TRUST_PROXY: v } }).trustProxy;
    expect(cfg('1')).toBe(1);
    expect(cfg('127.0.0.1, 10.0.0.0/8,::1,loopback')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'loopback']);
    expect(loadConfig({ cwd: '/nonexistent', env: {} }).trustProxy).toBeUndefined();
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example.com', '0']) {
      expect(() => cfg(bad)).toThrow(/PAGEKEEPER_TRUST_PROXY/);
    }
  });
});
