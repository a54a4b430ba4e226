import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

/** One page view, one expiry rule (src/tokens/page-view.ts), whichever surface asks. */
describe('a Page with two admins', () => {
  async function twoAdmins() {
    const h = await startService();
    const alice = h.emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const bob = await h.emu.control.createUser({ name: 'Bob', pages: [{ id: pageId }] });
    await h.pk.connect(alice.shortLivedToken);
    await h.pk.connect(bob.shortLivedToken);
    const key = await h.key(['pages:read']);
    const api = async () => {
      const res = await h.server.app.inject({ method: 'GET', url: '/v1/pages', headers: { authorization: `Bearer ${key}` } });
      return (res.json() as { pages: Array<{ id: string; tokenExpiresAt: string | null }> }).pages.find((p) => p.id === pageId)!;
    };
    const library = async () => (await h.pk.pages()).find((p) => p.id === pageId)!;
    return { h, alice, bob, pageId, api, library };
  }

  it("whose token in use expires but whose other admin's never does: never expires, for the CLI and the API alike", async () => {
    const { h, alice, pageId, api, library } = await twoAdmins();
    // Alice's token is the one in use (she connected first); say it expires in 30 days.
    expect((await h.pk.context.tokens.get(pageId)).userId).toBe(alice.id);
    await h.pk.context.store.pageTokens.recordCheck(pageId, alice.id, { expiresAt: new Date(Date.now() + 30 * 24 * 3600 * 1000) });
    expect((await api()).tokenExpiresAt).toBe('never');
    // The library's (and so `pagekeeper pages`') null is "never", not Alice's date.
    expect((await library()).tokenExpiresAt).toBeNull();
  });

  it('whose both tokens expire: the later date, for the CLI and the API alike', async () => {
    const { h, alice, bob, pageId, api, library } = await twoAdmins();
    const soon = new Date(Date.UTC(2030, 0, 1));
    const later = new Date(Date.UTC(2030, 5, 1));
    await h.pk.context.store.pageTokens.recordCheck(pageId, alice.id, { expiresAt: soon });
    await h.pk.context.store.pageTokens.recordCheck(pageId, bob.id, { expiresAt: later });
    expect((await api()).tokenExpiresAt).toBe(later.toISOString());
    expect((await library()).tokenExpiresAt).toEqual(later);
  });

  it('with no valid token left: the API says null, the library counts no valid token', async () => {
    const { h, alice, bob, pageId, api, library } = await twoAdmins();
    await h.pk.context.store.pageTokens.markInvalid(pageId, alice.id, { reason: 'password_changed' });
    await h.pk.context.store.pageTokens.markInvalid(pageId, bob.id, { reason: 'logged_out' });
    expect((await api()).tokenExpiresAt).toBeNull();
    expect((await library()).tokens).toEqual({ total: 2, valid: 0 });
  });
});
