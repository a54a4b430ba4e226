import { describe, expect, it } from 'vitest';
import { checkConnectToken } from '../../src/tokens/check-connect-token.js';
import type { TokenInspection } from '../../src/core/types.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { openKeeper, type TestKeeper } from './setup.js';

async function expectNothingStored(k: TestKeeper) {
  expect(await k.pk.pages()).toEqual([]);
  expect(await k.pk.context.store.users.list()).toEqual([]);
}

async function fresh(): Promise<{ emu: TestEmulator; k: TestKeeper }> {
  const emu = await startTestEmulator();
  return { emu, k: await openKeeper(emu) };
}

describe('connect refuses, storing nothing, a token that cannot work', () => {
  it('an expired short-lived token: PK_TOKEN_EXPIRED saying "expired"', async () => {
    const { emu, k } = await fresh();
    await emu.control.advanceClock(3700);
    const e = await k.pk.connect(emu.users[0]!.shortLivedToken).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PK_TOKEN_EXPIRED' });
    expect((e as Error).message).toMatch(/expired/);
    await expectNothingStored(k);
  });

  it('a Page token instead of a user token: PK_TOKEN_WRONG_TYPE', async () => {
    const { emu, k } = await fresh();
    const user = emu.users[0]!;
    await k.pk.connect(user.shortLivedToken);
    const pageToken = await k.pk.page(user.pages[0]!.id).token();
    const other = await openKeeper(emu);
    await expect(other.pk.connect(pageToken)).rejects.toMatchObject({ code: 'PK_TOKEN_WRONG_TYPE', message: expect.stringContaining('PAGE') });
    await expectNothingStored(other);
  });

  it('a token without pages_messaging: PK_TOKEN_MISSING_SCOPES names it and how to grant it', async () => {
    const { emu, k } = await fresh();
    const token = await emu.control.shortLivedToken(emu.users[0]!.id, ['pages_show_list']);
    const e = await k.pk.connect(token.accessToken).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PK_TOKEN_MISSING_SCOPES' });
    expect((e as Error).message).toContain('pages_messaging');
    expect((e as { fix: string }).fix).toMatch(/Add a permission|rerequest/);
    await expectNothingStored(k);
  });

  it('a token Facebook cannot parse: PK_TOKEN_INVALID', async () => {
    const { k } = await fresh();
    await expect(k.pk.connect('EAAnotarealtoken0000000000000000')).rejects.toMatchObject({ code: 'PK_TOKEN_INVALID' });
    await expectNothingStored(k);
  });

  it('a token whose session ended (password changed): PK_TOKEN_INVALID in plain words', async () => {
    const { emu, k } = await fresh();
    await emu.control.event(emu.users[0]!.id, 'password_changed');
    await expect(k.pk.connect(emu.users[0]!.shortLivedToken)).rejects.toMatchObject({ code: 'PK_TOKEN_INVALID', message: expect.stringMatching(/password/) });
    await expectNothingStored(k);
  });

  it('without keys nothing is opened or written: PK_KEYS_MISSING', async () => {
    const emu = await startTestEmulator();
    await expect(openKeeper(emu, { keys: '' })).rejects.toMatchObject({ code: 'PK_KEYS_MISSING' });
  });
});

const base: TokenInspection = {
  isValid: true,
  type: 'USER',
  appId: '111',
  application: 'App',
  userId: '5',
  profileId: null,
  expiresAt: new Date('2030-01-01T01:00:00Z'),
  issuedAt: null,
  dataAccessExpiresAt: null,
  scopes: ['pages_show_list', 'pages_messaging'],
  granularScopes: [],
  error: null,
};
const now = new Date('2030-01-01T00:00:00Z');

describe('the decision before connecting, by table', () => {
  it.each([
    ['a fit user token', {}, null],
    ['expired by debug_token (463)', { isValid: false, error: { code: 190, subcode: 463, message: 'x', reason: 'expired' } }, 'PK_TOKEN_EXPIRED'],
    ['expired by the clock', { expiresAt: new Date('2029-12-31T23:00:00Z') }, 'PK_TOKEN_EXPIRED'],
    ['a PAGE token', { type: 'PAGE' }, 'PK_TOKEN_WRONG_TYPE'],
    ['an APP token', { type: 'APP' }, 'PK_TOKEN_WRONG_TYPE'],
    ['another app', { appId: '222' }, 'PK_TOKEN_WRONG_APP'],
    ['no pages_show_list', { scopes: ['pages_messaging'] }, 'PK_TOKEN_MISSING_SCOPES'],
    ['no scopes at all', { scopes: [] }, 'PK_TOKEN_MISSING_SCOPES'],
    ['logged out (467)', { isValid: false, error: { code: 190, subcode: 467, message: 'x', reason: 'logged_out' } }, 'PK_TOKEN_INVALID'],
  ] as const)('%s', (_name, patch, code) => {
    const run = () => checkConnectToken({ ...base, ...patch } as TokenInspection, { appId: '111', now });
    if (code === null) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code }));
  });

  it('names every missing scope', () => {
    expect(() => checkConnectToken({ ...base, scopes: [] }, { appId: '111', now })).toThrow(/pages_show_list, pages_messaging/);
  });
});
