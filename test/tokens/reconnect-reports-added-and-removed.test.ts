import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, openKeeper } from './setup.js';

const redirectUri = 'http://localhost:9/callback';

describe('connecting again reports Pages gained and lost, and heals', () => {
  it('reports pages added and removed as the person changes what they grant in the Login dialog', async () => {
    const emu = await startTestEmulator();
    const { pk } = await openKeeper(emu);
    const [a, b, c] = emu.users[0]!.pages.map((p) => p.id) as [string, string, string];
    const login = async (pageIds: string[]) => {
      const back = await loginThroughDialog(pk.loginUrl({ redirectUri, state: 's' }), { pageIds });
      return pk.connectWithCode({ code: back.searchParams.get('code')!, redirectUri });
    };

    const first = await login([a]);
    expect(first.added).toEqual([a]);
    const second = await login([a, b, c]);
    expect(second.added.sort()).toEqual([b, c].sort());
    expect(second.removed).toEqual([]);
    const third = await login([b]);
    expect(third.added).toEqual([]);
    expect(third.removed.sort()).toEqual([a, c].sort());
    // No one grants a or c any more: they leave the list and hand out no token.
    expect((await pk.pages()).map((p) => p.id)).toEqual([b]);
    await expect(pk.page(a).token()).rejects.toMatchObject({ code: 'PK_PAGE_NOT_FOUND' });
    const audit = await pk.context.store.audit.list({ userId: emu.users[0]!.id });
    expect(audit.filter((e) => e.event === 'user_connected')).toHaveLength(3);
  });

  it('a page another admin still grants stays connected on their token', async () => {
    const emu = await startTestEmulator();
    const alex = emu.users[0]!;
    const shared = alex.pages[0]!.id;
    const sam = await emu.control.createUser({ name: 'Sam Second', pages: [{ id: shared }] });
    const { pk } = await openKeeper(emu);
    await pk.connect(alex.shortLivedToken);
    await pk.connect(sam.shortLivedToken);
    expect((await pk.pages()).find((p) => p.id === shared)?.tokens.total).toBe(2);

    await emu.control.event(alex.id, 'page_role_removed', shared);
    const fresh = await emu.control.shortLivedToken(alex.id);
    const again = await pk.connect(fresh.accessToken);
    expect(again.removed).toEqual([shared]);
    const page = (await pk.pages()).find((p) => p.id === shared);
    expect(page).toMatchObject({ status: 'healthy', tokens: { total: 1, valid: 1 } });
    const inspection = await pk.page(shared).inspect();
    expect(inspection.userId).toBe(sam.id);
  });

  it('a page flagged needs_reauth after a password change is healthy again after reconnecting', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, 'password_changed');
    const swept = await pk.check();
    expect(swept.healthy).toBe(0);
    expect(swept.pages.every((p) => p.status === 'needs_reauth' && /password/.test(p.reason ?? ''))).toBe(true);
    await expect(pk.page(user.pages[0]!.id).token()).rejects.toMatchObject({ code: 'PK_NO_VALID_TOKEN' });

    const fresh = await emu.control.shortLivedToken(user.id);
    const again = await pk.connect(fresh.accessToken);
    expect(again.pages.every((p) => p.status === 'healthy')).toBe(true);
    expect(again.added).toEqual([]);
    expect((await pk.pages()).every((p) => p.status === 'healthy')).toBe(true);
    expect((await pk.page(user.pages[0]!.id).inspect()).isValid).toBe(true);
    const events = (await pk.context.store.audit.list({ pageId: user.pages[0]!.id })).map((e) => `${e.event}:${e.oldState}->${e.newState}`);
    expect(events).toContain('page_status_changed:healthy->needs_reauth');
    expect(events).toContain('page_status_changed:needs_reauth->healthy');
  });
});
