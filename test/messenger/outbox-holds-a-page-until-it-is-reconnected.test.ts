import { describe, expect, it } from 'vitest';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

describe('a Page whose token stops working', () => {
  it('holds its messages after a password change, in order, and sends them once someone reconnects', async () => {
    const w = await startMessengerWorld();
    const user = w.emu.users[0]!;
    w.pk.messenger.startWorker({ pollMs: 20, heldRecheckMs: 100 });
    const before = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'before'));
    await waitFor(() => w.pk.messenger.getMessage(before.id), (m) => m?.status === 'sent');

    await w.emu.control.event(user.id, 'password_changed');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `held ${i}`))).id);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.held === 3);
    const first = await w.pk.messenger.getMessage(ids[0]!);
    expect(first?.error?.code).toBe(190);
    expect(first?.error?.message).toMatch(/reconnect/);
    // Re-checks find no valid token: nothing is sent while the Page has none.
    await new Promise((r) => setTimeout(r, 300));
    expect((await w.pk.messenger.counts()).held).toBe(3);

    const { accessToken } = await w.emu.control.shortLivedToken(user.id);
    await w.pk.connect(accessToken);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 4);
    expect((await w.sent()).map((m) => m.message?.text)).toEqual(['before', 'held 0', 'held 1', 'held 2']);
  });
});
