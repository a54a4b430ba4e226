import { describe, expect, it } from 'vitest';
import { verifyPageToken } from '../../src/tokens/verify-page-token.js';
import type { TokenInspection } from '../../src/core/types.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { openKeeper } from './setup.js';

const ALL_SCOPES = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'business_management'];

describe('connect discovers every Page the person can act for', () => {
  // 230 Pages: pagekeeper asks for 100 a request, so /me/accounts answers in three pages (100,
  // 100, 30). With 65 one request held them all and a paging bug that dropped a page passed.
  it('follows /me/accounts paging to the end: 230 pages in three requests', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({ name: 'Many Pages', pages: Array.from({ length: 230 }, (_, i) => ({ name: `Shop ${i}` })) });
    const { pk } = await openKeeper(emu);
    await emu.control.resetStats();
    const result = await pk.connect(created.shortLivedToken);
    expect(result.pages).toHaveLength(230);
    expect(new Set(result.pages.map((p) => p.id))).toEqual(new Set(created.pages.map((p) => p.id)));
    expect(result.pages.every((p) => p.tokenExpiresAt === null)).toBe(true);
    expect(await pk.pages()).toHaveLength(230);
    const calls = await emu.control.stats();
    const accountCalls = Object.entries(calls.calls).filter(([k]) => k.includes('me/accounts')).reduce((n, [, v]) => n + v, 0);
    expect(accountCalls).toBe(3);
  });

  it('adds Business Manager pages when business_management is granted, without duplicates', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({
      name: 'Agency',
      pages: [{ name: 'Own Page' }],
      scopes: ALL_SCOPES,
      businessPages: [{ name: 'Client Cafe', relation: 'client' }, { name: 'Owned Outlet', relation: 'owned' }],
    });
    const { pk } = await openKeeper(emu);
    const result = await pk.connect(created.shortLivedToken);
    const names = result.pages.map((p) => p.name).sort();
    expect(names).toEqual(['Client Cafe', 'Own Page', 'Owned Outlet']);
    expect(new Set(result.pages.map((p) => p.id)).size).toBe(result.pages.length);
    expect(result.pages.every((p) => p.status === 'healthy')).toBe(true);
    for (const p of result.pages) expect((await pk.page(p.id).inspect()).expiresAt).toBeNull();
  });

  it('skips business pages when business_management is not granted', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({
      name: 'No BM',
      pages: [{ name: 'Own Page' }],
      scopes: ['pages_show_list', 'pages_messaging'],
      businessPages: [{ name: 'Hidden Client', relation: 'client' }],
    });
    const { pk } = await openKeeper(emu);
    const result = await pk.connect(created.shortLivedToken);
    expect(result.pages.map((p) => p.name)).toEqual(['Own Page']);
    const stats = await emu.control.stats();
    expect(Object.keys(stats.calls).some((k) => k.includes('businesses'))).toBe(false);
  });
});

describe('a Page token is stored only when it never expires', () => {
  const inspection: TokenInspection = {
    isValid: true,
    type: 'PAGE',
    appId: '1',
    application: null,
    userId: '2',
    profileId: '10',
    expiresAt: null,
    issuedAt: null,
    dataAccessExpiresAt: null,
    scopes: [],
    granularScopes: [],
    error: null,
  };
  it.each([
    ['never expires', {}, null],
    ['expires in an hour', { expiresAt: new Date('2030-01-01T01:00:00Z') }, 'PK_PAGE_TOKEN_EXPIRES'],
    ['invalid', { isValid: false }, 'PK_TOKEN_INVALID'],
    ['a USER token', { type: 'USER' }, 'PK_TOKEN_INVALID'],
    ['another page', { profileId: '11' }, 'PK_TOKEN_INVALID'],
  ] as const)('%s', (_n, patch, code) => {
    const run = () => verifyPageToken({ id: '10' }, { ...inspection, ...patch } as TokenInspection);
    if (code === null) expect(run()).toBeTruthy();
    else expect(run).toThrow(expect.objectContaining({ code }));
  });

  it('says why an expiring token is refused', () => {
    expect(() => verifyPageToken({ id: '10' }, { ...inspection, expiresAt: new Date('2030-01-01T01:00:00Z') })).toThrow(
      expect.objectContaining({ fix: expect.stringContaining('long-lived user token') }),
    );
  });
});
