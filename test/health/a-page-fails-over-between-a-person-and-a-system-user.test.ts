import { describe, expect, it } from 'vitest';
import { text } from '../../src/messenger/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, openKeeper } from './setup.js';

/** A Page connected by a person and by a system user fails over between them as between two admins. */
describe('a Page connected by a person and by a system user', () => {
  async function personAndSystemUser() {
    const emu = await startTestEmulator();
    const alice = emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const su = await emu.control.createSystemUser({ name: 'Shop Bot', pages: [{ id: pageId }] });
    const k = await openKeeper(emu);
    await k.pk.connect(alice.shortLivedToken);
    await k.pk.connect(su.accessToken);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello?' });
    await k.pk.messenger.recordInbound(pageId, psid, Date.now());
    return { emu, ...k, alice, su, pageId, psid };
  }

  it("keeps working on the system user's token when the person's dies", async () => {
    const { emu, pk, alice, su, pageId } = await personAndSystemUser();
    // The person connected first: their token is in use.
    expect((await pk.context.tokens.get(pageId)).userId).toBe(alice.id);
    await emu.control.event(alice.id, 'password_changed');

    const info = await pk.page(pageId).get<{ id: string }>(pageId, { fields: 'id,name' });
    expect(info.id).toBe(pageId);
    expect((await pk.context.tokens.get(pageId)).userId).toBe(su.id);
    const [summary] = (await pk.pages()).filter((p) => p.id === pageId);
    expect(summary).toMatchObject({ status: 'healthy', tokens: { total: 2, valid: 1 } });
    expect(summary!.warning).toMatch(/1 of 2 tokens .* \(password changed\)/);
    expect(await auditOf(pk, 'token_invalidated', pageId)).toMatchObject([{ userId: alice.id, reason: 'password_changed' }]);
  });

  it("sends on the system user's token once the person's dies; when the business then removes the app, says so in Business Settings words", async () => {
    const { emu, pk, alice, su, pageId, psid } = await personAndSystemUser();
    await emu.control.event(alice.id, 'password_changed');
    // Refused on the person's token (not repeated: a send is not idempotent), then the system user's token is in use.
    await expect(pk.messenger.send(pageId, psid, text('first'))).rejects.toThrow();
    await expect(pk.messenger.send(pageId, psid, text('second'))).resolves.toMatchObject({ recipientId: psid });
    expect((await pk.context.tokens.get(pageId)).userId).toBe(su.id);

    // Now the business removes the app: nothing is left.
    await emu.control.systemUserEvent(su.id, 'app_removed');
    await expect(pk.page(pageId).get(pageId)).rejects.toMatchObject({ kind: 'token_invalid', subcode: 458 });
    const [summary] = (await pk.pages()).filter((p) => p.id === pageId);
    expect(summary).toMatchObject({ status: 'needs_reauth', tokens: { total: 2, valid: 0 } });
    expect(summary!.reason).toMatch(/business removed the app in Business Settings > Integrations > Connected apps/);
    expect(summary!.fix).toMatch(/pagekeeper connect --system-user/);
  });

  it('reconnecting the person heals the Page after the system user was revoked', async () => {
    const { emu, pk, alice, su, pageId } = await personAndSystemUser();
    await emu.control.systemUserEvent(su.id, 'app_removed');
    const check = await pk.check();
    expect(check.pages.find((p) => p.id === pageId)).toMatchObject({ status: 'healthy' });
    expect(check.pages.find((p) => p.id === pageId)!.warning).toMatch(/app removed by the business/);
    expect((await pk.context.tokens.get(pageId)).userId).toBe(alice.id);
  });
});
