import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { openKeeper } from './setup.js';

describe('check() inspects every stored token in batches of 50 and records each Page', () => {
  it('120 tokens: 3 batch requests, plus 3 that read the Pages\' webhook subscriptions; all healthy, last-checked time written', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({ name: 'Chain', pages: Array.from({ length: 120 }, (_, i) => ({ name: `Store ${i}` })) });
    await emu.control.setLimits({ enabled: false });
    const { pk } = await openKeeper(emu);
    await pk.connect(created.shortLivedToken);
    await emu.control.resetStats();

    const progress: number[] = [];
    const result = await pk.check({ onProgress: (p) => progress.push(p.inspected) });
    expect(result).toMatchObject({ checked: 120, healthy: 120, tokens: { inspected: 120, invalidated: 0, failed: 0 } });
    const stats = await emu.control.stats();
    // Since the sweep also reads each Page's webhook subscription (batched), 3 more batch requests.
    expect(stats.calls['POST /']).toBe(6);
    expect(stats.calls['GET /{page-id}/subscribed_apps']).toBe(120);
    expect(stats.total - (stats.calls['GET /debug_token'] ?? 0) - (stats.calls['GET /{page-id}/subscribed_apps'] ?? 0)).toBe(6);
    expect(progress.at(-1)).toBe(120);
    expect((await pk.pages()).every((p) => p.lastCheckedAt !== null)).toBe(true);
  });

  it.each([
    ['password_changed', /password/i],
    ['app_removed', /removed the app/i],
    ['logged_out', /logged out/i],
    ['checkpoint', /security check/i],
  ] as const)('after %s every page needs re-authentication, in plain words, with a fix and an audit entry', async (event, words) => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, event);
    const result = await pk.check();
    expect(result.healthy).toBe(0);
    for (const p of result.pages) {
      expect(p.status).toBe('needs_reauth');
      expect(p.reason).toMatch(words);
      expect(p.fix).toMatch(/connect/);
    }
    const audit = await pk.context.store.audit.list({ pageId: user.pages[0]!.id });
    expect(audit.map((e) => e.event)).toEqual(expect.arrayContaining(['token_invalidated', 'page_status_changed']));
    // A second sweep changes nothing and writes no new state changes.
    const before = (await pk.context.store.audit.list({ limit: 1000 })).length;
    await pk.check();
    expect((await pk.context.store.audit.list({ limit: 1000 })).length).toBe(before);
  });

  it('checking one page inspects only its tokens and leaves the other pages as they were', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, 'password_changed');
    await emu.control.resetStats();
    const [one, other] = user.pages;

    const result = await pk.check({ pageIds: [one!.id] });

    expect(result.checked).toBe(1);
    expect(result.tokens.inspected).toBe(1);
    expect(result.pages.map((p) => p.id)).toEqual([one!.id]);
    expect((await emu.control.stats()).calls['GET /debug_token']).toBe(1);
    const pages = await pk.pages();
    expect(pages.find((p) => p.id === one!.id)).toMatchObject({ status: 'needs_reauth', reason: expect.stringMatching(/password/i) });
    // The other pages were not inspected: still healthy as far as pagekeeper knows.
    expect(pages.find((p) => p.id === other!.id)).toMatchObject({ status: 'healthy' });
  });

  it('a page role removed on one page flags only that page', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const { pk } = await openKeeper(emu);
    await pk.connect(user.shortLivedToken);
    const lost = user.pages[1]!.id;
    await emu.control.event(user.id, 'page_role_removed', lost);
    const result = await pk.check();
    expect(result.healthy).toBe(user.pages.length - 1);
    expect(result.pages.find((p) => p.id === lost)).toMatchObject({ status: 'needs_reauth', reason: expect.stringMatching(/role/) });
  });
});
