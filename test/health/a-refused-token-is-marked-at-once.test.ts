import { describe, expect, it } from 'vitest';
import { isGraphError } from '../../src/graph/graph-error.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, connectedKeeper } from './setup.js';

/**
 * The first Graph call refused with 190 marks that token invalid, records it,
 * and re-judges the Page with no extra Graph call; the reason and fix are in plain words.
 */
describe('a Page call refused by Facebook marks the token invalid at once', () => {
  it.each([
    ['password_changed', 460, /password/i, /reconnect/i],
    ['app_removed', 458, /removed the app/i, /allow the app again/i],
    ['logged_out', 467, /logged out/i, /reconnect/i],
    ['checkpoint', 459, /security check/i, /facebook\.com/i],
    ['page_role_removed', 492, /no longer has a role/i, /manages the Page must connect/i],
  ] as const)('%s (190/%i): needs_reauth with its reason and fix, audited once', async (event, subcode, reason, fix) => {
    const emu = await startTestEmulator();
    const { pk, userId, pageIds } = await connectedKeeper(emu);
    const pageId = pageIds[0]!;
    await emu.control.event(userId, event, event === 'page_role_removed' ? pageId : undefined);
    await emu.control.resetStats();

    const error = await pk.page(pageId).get(pageId, { fields: 'id,name' }).catch((e: unknown) => e);
    expect(isGraphError(error) && error.kind).toBe('token_invalid');
    expect(isGraphError(error) && error.subcode).toBe(subcode);

    // One Graph call: the refused one. Re-judging the Page reads only the store.
    expect((await emu.control.stats()).total).toBe(1);
    const [summary] = (await pk.pages()).filter((p) => p.id === pageId);
    expect(summary).toMatchObject({ status: 'needs_reauth', tokens: { total: 1, valid: 0 } });
    expect(summary!.reason).toMatch(reason);
    expect(summary!.fix).toMatch(fix);

    const lost = await auditOf(pk, 'token_invalidated', pageId);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ userId, oldState: 'valid', newState: 'invalid', reason: event, detail: { source: 'graph_call', graphCode: 190, graphSubcode: subcode } });
    expect(await auditOf(pk, 'page_status_changed', pageId)).toMatchObject([{ oldState: 'healthy', newState: 'needs_reauth' }]);

    // The next call is refused locally, in the same plain words, without reaching Facebook.
    await expect(pk.page(pageId).get(pageId)).rejects.toMatchObject({ code: 'PK_NO_VALID_TOKEN' });
    expect((await emu.control.stats()).total).toBe(1);
  });

  it('the audit rows carry no token', async () => {
    const emu = await startTestEmulator();
    const { pk, userId, pageIds } = await connectedKeeper(emu);
    const token = await pk.page(pageIds[0]!).token();
    await emu.control.event(userId, 'password_changed');
    await pk.page(pageIds[0]!).get(pageIds[0]!).catch(() => {});
    const text = JSON.stringify(await pk.context.store.audit.list({ limit: 1000 }));
    expect(text).not.toContain(token);
    expect(text).not.toContain(emu.appSecret);
  });
});
