import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, openKeeper } from './setup.js';

describe('connect turns a short-lived user token into stored Page tokens that never expire', () => {
  it('connects, lists, hands out tokens that debug_token calls never-expiring, and sends with them', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk, dbFile, logger } = await openKeeper(emu);

    const result = await pk.connect(user.shortLivedToken);
    expect(result.user).toEqual({ id: user.id, name: user.name });
    expect(result.userToken.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 55 * 86400e3);
    expect(result.pages.map((p) => p.id).sort()).toEqual(user.pages.map((p) => p.id).sort());
    expect(result.added.sort()).toEqual(user.pages.map((p) => p.id).sort());
    expect(result.removed).toEqual([]);
    for (const p of result.pages) {
      expect(p.tokenExpiresAt).toBeNull();
      expect(p.status).toBe('healthy');
      expect(p.dataAccessExpiresAt).toBeInstanceOf(Date);
    }

    const listed = await pk.pages();
    expect(listed).toHaveLength(user.pages.length);
    expect(listed.every((p) => p.tokenExpiresAt === null && p.status === 'healthy' && p.tokens.valid === 1)).toBe(true);

    const page = pk.page(user.pages[0]!.id);
    const token = await page.token();
    const inspection = await page.inspect();
    expect(inspection).toMatchObject({ isValid: true, type: 'PAGE', profileId: page.id, expiresAt: null, appId: emu.appId });

    const inbound = await emu.control.inbound(page.id, { text: 'hello' });
    const sent = await page.post<{ recipient_id: string; message_id: string }>(`${page.id}/messages`, {
      recipient: { id: inbound.psid },
      messaging_type: 'RESPONSE',
      message: { text: 'hi back' },
    });
    expect(sent.recipient_id).toBe(inbound.psid);
    const seen = await emu.control.sentMessages(page.id);
    expect(seen.map((m) => m.messageId)).toContain(sent.message_id);

    const me = await page.get<{ id: string }>('me', { fields: 'id' });
    expect(me.id).toBe(page.id);

    const check = await pk.check();
    expect(check).toMatchObject({ checked: user.pages.length, healthy: user.pages.length });

    // Nothing secret on disk or in the logs.
    await pk.close();
    const files = readdirSync(dirname(dbFile)).filter((f) => f.startsWith('pk.db'));
    for (const f of files) {
      const bytes = readFileSync(join(dirname(dbFile), f));
      expect(bytes.includes(Buffer.from(token))).toBe(false);
      expect(bytes.includes(Buffer.from(user.shortLivedToken))).toBe(false);
    }
    const logs = logger.text();
    expect(logs).toContain('user connected');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(user.shortLivedToken);
    expect(logs).not.toContain(emu.appSecret);
  });

  it('connecting again updates in place: same pages, nothing added or removed, no duplicate tokens', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    const fresh = await emu.control.shortLivedToken(user.id);
    const again = await pk.connect(fresh.accessToken);
    expect(again.added).toEqual([]);
    expect(again.removed).toEqual([]);
    const pages = await pk.pages();
    expect(pages).toHaveLength(user.pages.length);
    expect(pages.every((p) => p.tokens.total === 1)).toBe(true);
  });

  it('Facebook Login: the dialog code is exchanged and connected; state is checked by the caller', async () => {
    const emu = await startTestEmulator();
    const { pk } = await openKeeper(emu);
    const redirectUri = 'http://localhost:9/callback';
    const url = pk.loginUrl({ redirectUri, state: 'st4te' });
    expect(url).toContain('scope=pages_show_list%2Cpages_messaging');
    const back = await loginThroughDialog(url);
    expect(back.searchParams.get('state')).toBe('st4te');
    const result = await pk.connectWithCode({ code: back.searchParams.get('code')!, redirectUri });
    expect(result.pages).toHaveLength(emu.users[0]!.pages.length);
    // A code works once.
    await expect(pk.connectWithCode({ code: back.searchParams.get('code')!, redirectUri })).rejects.toMatchObject({ code: 'PK_OAUTH_CODE_INVALID' });
  });
});
