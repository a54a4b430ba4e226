/**
 * Connect reads each Page's linked Instagram account in the list calls it already makes: 60
 * Pages, some linked, cost the same Graph calls as 60 Pages without Instagram. Pages and the
 * service API show what pagekeeper can do with each Instagram inbox, and what to fix.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { IG_SCOPES } from './world.js';

async function connectSixtyPages(instagram: boolean, scopes = IG_SCOPES) {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, seed: { users: [] } });
  const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: 'sqlite::memory:', keys: generateKeyEntry('t1'), graphUrl: emu.url, dialogUrl: emu.dialogUrl });
  onTestFinished(async () => {
    await pk.close();
    await emu.close();
  });
  const pages = Array.from({ length: 60 }, (_, i) => ({
    name: `Shop ${i}`,
    ...(instagram && i % 3 === 0 ? { instagram: { username: `shop_${i}`, ...(i % 6 === 0 ? { link: 'connected' as const } : {}) } } : {}),
  }));
  const user = await emu.control.createUser({ name: 'Many Pages', scopes, pages });
  await emu.control.resetStats();
  const result = await pk.connect(user.shortLivedToken);
  return { emu, pk, user, result, stats: await emu.control.stats() };
}

describe('connect and Instagram accounts', () => {
  it('reads 60 Pages, 20 of them linked to Instagram, with the same Graph calls as without', async () => {
    const plain = await connectSixtyPages(false);
    const linked = await connectSixtyPages(true);
    expect(linked.stats.total).toBe(plain.stats.total);
    expect(linked.stats.calls['GET /me/accounts']).toBe(1);
    const byName = new Map(linked.result.pages.map((p) => [p.name, p.instagram]));
    const shop0 = linked.user.pages.find((p) => p.name === 'Shop 0')!.instagram!;
    const shop3 = linked.user.pages.find((p) => p.name === 'Shop 3')!.instagram!;
    // Shop 0 is connected in the Page's settings only (connected_instagram_account), Shop 3 through the business conversion.
    expect(byName.get('Shop 0')).toEqual({ id: shop0.id, username: 'shop_0', messaging: 'ok' });
    expect(byName.get('Shop 3')).toEqual({ id: shop3.id, username: 'shop_3', messaging: 'ok' });
    expect(byName.get('Shop 1')).toMatchObject({ id: null, messaging: 'not_linked', fix: expect.stringContaining('Link the Instagram professional account') });
    expect(linked.result.pages.filter((p) => p.instagram.messaging === 'ok')).toHaveLength(20);

    const summaries = await linked.pk.pages();
    expect(summaries.find((p) => p.name === 'Shop 3')?.instagram).toEqual({ id: shop3.id, username: 'shop_3', messaging: 'ok' });
  });

  it('reports missing_permission with the fix when the token lacks instagram_manage_messages or instagram_basic', async () => {
    const noMessages = await connectSixtyPages(true, IG_SCOPES.filter((s) => s !== 'instagram_manage_messages'));
    const p0 = noMessages.result.pages.find((p) => p.name === 'Shop 0')!;
    expect(p0.instagram).toMatchObject({ username: 'shop_0', messaging: 'missing_permission', reason: expect.stringContaining('instagram_manage_messages'), fix: expect.stringContaining('PAGEKEEPER_INSTAGRAM=true') });

    // Without instagram_basic Facebook hides the link: pagekeeper says which permission is missing rather than "not linked".
    const noBasic = await connectSixtyPages(true, IG_SCOPES.filter((s) => !s.startsWith('instagram_')));
    expect(noBasic.result.pages.find((p) => p.name === 'Shop 0')!.instagram).toMatchObject({ id: null, messaging: 'missing_permission', reason: expect.stringContaining('instagram_basic') });
    // Default scopes stay as they were: the Instagram ones are asked only with PAGEKEEPER_INSTAGRAM=true.
    expect(new URL(noBasic.pk.loginUrl({ redirectUri: 'http://127.0.0.1/cb', state: 's' })).searchParams.get('scope')).not.toContain('instagram');
  });

  it('asks the Login dialog for the Instagram scopes when enabled', async () => {
    const emu = await startEmulator({ host: '127.0.0.1', port: 0 });
    const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: 'sqlite::memory:', keys: generateKeyEntry('t1'), graphUrl: emu.url, instagram: true });
    onTestFinished(async () => {
      await pk.close();
      await emu.close();
    });
    const scope = new URL(pk.loginUrl({ redirectUri: 'http://127.0.0.1/cb', state: 's' })).searchParams.get('scope')!.split(',');
    expect(scope).toEqual(expect.arrayContaining(['pages_show_list', 'pages_messaging', 'instagram_basic', 'instagram_manage_messages']));
  });
});
