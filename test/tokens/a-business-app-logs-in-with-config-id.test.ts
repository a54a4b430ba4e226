import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { loginThroughDialog, openKeeper } from './setup.js';

const PERMISSIONS = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata'];

async function businessApp(tokenType: 'user' | 'system_user' = 'user'): Promise<{ emu: TestEmulator; configId: string }> {
  const emu = await startTestEmulator();
  expect(await emu.control.setApp({ type: 'business' })).toMatchObject({ type: 'business' });
  const { id } = await emu.control.createLoginConfig({ permissions: PERMISSIONS, tokenType });
  return { emu, configId: id };
}

/** Facebook Login for Business: a Business-type app's dialog takes config_id, not scope. */
describe('a Business app', () => {
  it('opened with scope, the dialog only says the app is not available; nothing to continue', async () => {
    const { emu } = await businessApp();
    const k = await openKeeper(emu);
    const url = k.pk.loginUrl({ redirectUri: 'http://localhost:8765/callback', state: 's'.repeat(32) });
    expect(new URL(url).searchParams.get('scope')).toContain('pages_messaging');
    const res = await fetch(url);
    const html = (await res.text()).replace(/&#39;/g, "'");
    expect(html).toContain("It looks like this app isn't available. To fix this, please contact Pagekeeper Emulated App.");
    expect(html).not.toContain('<form');
  });

  it('with loginConfigId the URL carries config_id and response_type=code instead of scope, and the person connects', async () => {
    const { emu, configId } = await businessApp();
    const k = await openKeeper(emu, { loginConfigId: configId });
    const redirectUri = 'http://localhost:8765/callback';
    const url = new URL(k.pk.loginUrl({ redirectUri, state: 's'.repeat(32) }));
    expect(url.searchParams.get('config_id')).toBe(configId);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('override_default_response_type')).toBe('true');
    expect(url.searchParams.has('scope')).toBe(false);

    const back = await loginThroughDialog(url.toString());
    const code = back.searchParams.get('code')!;
    expect(code).toBeTruthy();
    const result = await k.pk.connectWithCode({ code, redirectUri });
    expect(result.userToken.kind).toBe('user');
    expect(result.pages.map((p) => p.id).sort()).toEqual(emu.users[0]!.pages.map((p) => p.id).sort());
    expect(result.pages.every((p) => p.status === 'healthy' && p.tokenExpiresAt === null)).toBe(true);
  });

  it('a configuration for system user tokens yields a business token, stored as a system user that never expires', async () => {
    const { emu, configId } = await businessApp('system_user');
    const k = await openKeeper(emu, { loginConfigId: configId });
    const redirectUri = 'http://localhost:8765/callback';
    const keep = emu.users[0]!.pages.slice(0, 2).map((p) => p.id);
    const back = await loginThroughDialog(k.pk.loginUrl({ redirectUri, state: 's'.repeat(32) }), { pageIds: keep });
    const result = await k.pk.connectWithCode({ code: back.searchParams.get('code')!, redirectUri });
    expect(result.userToken).toEqual({ expiresAt: null, kind: 'system_user' });
    expect(result.user.id).not.toBe(emu.users[0]!.id);
    expect(result.pages.map((p) => p.id).sort()).toEqual([...keep].sort());
  });

  it("the service's /connect sends the browser to the config_id dialog and stores the Pages on return", async () => {
    const { emu, configId } = await businessApp();
    const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: 'sqlite::memory:', keys: generateKeyEntry('t1'), graphUrl: emu.url, dialogUrl: emu.dialogUrl, loginConfigId: configId });
    const deps = createServiceDeps(pk, {
      publicUrl: 'http://127.0.0.1:1',
      verifyToken: 'verify-me',
      adminKey: 'admin-key-for-tests-0123456789',
      forwardUrl: undefined,
      notifyWebhookSecret: undefined,
      keys: undefined,
      devOpenDashboard: false,
    });
    const server = await buildServer(deps, {});
    onTestFinished(async () => {
      await server.shutdown(2000);
      await pk.close();
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    deps.config.publicUrl = base;

    const start = await fetch(`${base}/connect`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const dialog = new URL(start.headers.get('location')!);
    expect(dialog.searchParams.get('config_id')).toBe(configId);
    expect(dialog.searchParams.has('scope')).toBe(false);
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    const back = await loginThroughDialog(dialog.toString());
    const done = await fetch(back, { headers: { cookie } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('data-testid="connect-success"');
    expect((await deps.pages.list()).map((p) => p.id).sort()).toEqual(emu.users[0]!.pages.map((p) => p.id).sort());

    // The API's page view says whose token each one is.
    const pageId = emu.users[0]!.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }] });
    await pk.connect(su.accessToken);
    const view = (await deps.pages.list()).find((p) => p.id === pageId)!;
    expect(view.tokens.map((t) => [t.userId, t.kind])).toEqual([
      [emu.users[0]!.id, 'user'],
      [su.id, 'system_user'],
    ]);
  });
});

describe('the emulator app settings', () => {
  it('are a partial update of one object; unknown fields and values are refused', async () => {
    const emu = await startTestEmulator();
    expect(await emu.control.request('GET', 'app')).toMatchObject({ type: 'consumer' });
    await expect(emu.control.request('PUT', 'app', { type: 'enterprise' })).rejects.toThrow(/400/);
    await expect(emu.control.request('PUT', 'app', { colour: 'blue' })).rejects.toThrow(/400/);
    expect(await emu.control.request('PUT', 'app', {})).toMatchObject({ type: 'consumer' });
    await expect(emu.control.request('POST', 'login-configs', { permissions: [], tokenType: 'user' })).rejects.toThrow(/400/);
    await expect(emu.control.request('POST', 'system-users', { name: 'x', pages: [{ id: '999999999' }] })).rejects.toThrow(/no page with id/);
  });
});
