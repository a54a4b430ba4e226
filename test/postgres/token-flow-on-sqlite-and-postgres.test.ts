/**
 * One contract for the library, run on SQLite and PostgreSQL alike: the token
 * flow through createPageKeeper against the emulator behaves the same on both databases.
 * connect, pages, token, reconnect, check.
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper } from '../../src/pagekeeper.js';
import { databaseBackends } from '../helpers/databases.js';
import { GRAPH_VERSION, graph, keeperOptions, startTestEmulator } from '../helpers/emulator.js';

const backends = await databaseBackends('token flow contract');

describe.each(backends)('the token flow on $name', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  async function keeper(emu: RunningEmulator, database?: string, keys = `k1:${randomBytes(32).toString('base64')}`): Promise<{ pk: PageKeeper; database: string; keys: string }> {
    const url = database ?? (await backend.fresh());
    const pk = await createPageKeeper(keeperOptions(emu, { database: url, keys, graph: { retryBaseMs: 1, maxBackoffMs: 5 } }));
    onTestFinished(() => pk.close());
    return { pk, database: url, keys };
  }

  it('connect stores never-expiring Page tokens that pages() lists and token() hands back', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await keeper(emu);

    expect(pk.context.store.dialect).toBe(backend.name);
    const result = await pk.connect(user.shortLivedToken);
    const ids = user.pages.map((p) => p.id).sort();
    expect(result.user.id).toBe(user.id);
    expect(result.pages.map((p) => p.id).sort()).toEqual(ids);
    expect(result.added.sort()).toEqual(ids);
    expect(result.pages.every((p) => p.tokenExpiresAt === null && p.status === 'healthy')).toBe(true);

    const pages = await pk.pages();
    expect(pages.map((p) => p.id)).toEqual(ids);
    expect(pages.every((p) => p.tokenExpiresAt === null && p.tokens.valid === 1)).toBe(true);

    const token = await pk.page(ids[0]!).token();
    const debug = await graph<{ data: { type: string; expires_at: number; profile_id: string } }>(
      emu,
      `${GRAPH_VERSION}/debug_token?input_token=${encodeURIComponent(token)}&access_token=${emu.appId}|${emu.appSecret}`,
    );
    expect(debug.json.data).toMatchObject({ type: 'PAGE', expires_at: 0, profile_id: ids[0] });
    const me = await pk.page(ids[0]!).get<{ id: string }>('me', { fields: 'id' });
    expect(me.id).toBe(ids[0]);
  });

  it('stored tokens survive reopening the database with the same keys', async () => {
    const emu = await startTestEmulator();
    const first = await keeper(emu);
    await first.pk.connect(emu.users[0]!.shortLivedToken);
    const pageId = emu.users[0]!.pages[0]!.id;
    const token = await first.pk.page(pageId).token();
    await first.pk.close();

    const again = await keeper(emu, first.database, first.keys);
    expect(await again.pk.page(pageId).token()).toBe(token);
  });

  it('reconnect reports pages added and removed', async () => {
    const emu = await startTestEmulator();
    const alex = emu.users[0]!;
    const shared = alex.pages[0]!.id;
    const { pk } = await keeper(emu);
    await pk.connect(alex.shortLivedToken);

    await emu.control.event(alex.id, 'page_role_removed', shared);
    const fresh = await emu.control.shortLivedToken(alex.id);
    const again = await pk.connect(fresh.accessToken);
    expect(again.removed).toEqual([shared]);
    expect(again.added).toEqual([]);
    expect((await pk.pages()).map((p) => p.id)).not.toContain(shared);
    await expect(pk.page(shared).token()).rejects.toMatchObject({ code: 'PK_PAGE_NOT_FOUND' });
  });

  it('check inspects every token, records health, and a reconnect heals it', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await keeper(emu);
    await pk.connect(user.shortLivedToken);

    const healthy = await pk.check();
    expect(healthy).toMatchObject({ checked: user.pages.length, healthy: user.pages.length, tokens: { inspected: user.pages.length, invalidated: 0, failed: 0 } });

    await emu.control.event(user.id, 'password_changed');
    const broken = await pk.check();
    expect(broken.healthy).toBe(0);
    expect(broken.tokens.invalidated).toBe(user.pages.length);
    expect(broken.pages.every((p) => p.status === 'needs_reauth' && p.fix !== null)).toBe(true);
    expect((await pk.pages()).every((p) => p.status === 'needs_reauth')).toBe(true);
    await expect(pk.page(user.pages[0]!.id).token()).rejects.toMatchObject({ code: 'PK_NO_VALID_TOKEN' });

    const fresh = await emu.control.shortLivedToken(user.id);
    await pk.connect(fresh.accessToken);
    expect((await pk.pages()).every((p) => p.status === 'healthy')).toBe(true);
    expect((await pk.check()).healthy).toBe(user.pages.length);
  });

  it('refuses a token of another app, storing nothing', async () => {
    const emu = await startTestEmulator();
    const { pk } = await keeper(emu);
    await expect(pk.connect('EAAnot-a-real-token')).rejects.toMatchObject({ code: expect.stringMatching(/^PK_TOKEN_/) });
    expect(await pk.pages()).toEqual([]);
    expect(await pk.context.store.db.selectFrom('users').selectAll().execute()).toEqual([]);
  });
});
