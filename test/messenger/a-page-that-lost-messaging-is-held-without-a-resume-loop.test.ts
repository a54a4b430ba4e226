import { describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../src/emulator/state.js';
import { graph } from '../helpers/emulator.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

const OBSERVE_MS = 30_000;

describe('a Page whose token lost pages_messaging', () => {
  it('is held once, makes no Graph calls for 30 s (no hold/resume loop), and resumes when a reconnect grants messaging again', { timeout: 120_000 }, async () => {
    const w = await startMessengerWorld();
    const user = w.emu.users[0]!;
    // A re-check of held Pages every 100 ms: a loop would show as hundreds of sends.
    w.pk.messenger.startWorker({ pollMs: 20, heldRecheckMs: 100 });
    const revoked = await graph(w.emu, `v25.0/me/permissions/pages_messaging?access_token=${encodeURIComponent(user.shortLivedToken)}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    await w.emu.control.resetStats();

    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `waiting ${i}`))).id);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.held === 3);
    expect((await w.pk.messenger.getMessage(ids[0]!))?.error?.code).toBe(230);

    const before = (await w.emu.control.stats()).total;
    await new Promise((r) => setTimeout(r, OBSERVE_MS));
    const after = await w.emu.control.stats();
    expect(after.total - before).toBe(0);
    expect(after.calls['POST /{page-id}/messages']).toBe(1);
    expect((await w.pk.messenger.counts()).held).toBe(3);

    // A health sweep that finds the token still unable to message does not resume it either.
    await w.pk.check({ pageIds: [w.pageId] });
    await new Promise((r) => setTimeout(r, 500));
    expect((await w.emu.control.stats()).calls['POST /{page-id}/messages']).toBe(1);

    // Reconnecting with pages_messaging granted changes the Page's token: the held messages go out, in order.
    const { accessToken } = await w.emu.control.shortLivedToken(user.id, DEFAULT_SCOPES);
    await w.pk.connect(accessToken);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 3, 20_000);
    expect((await w.sent()).map((m) => m.message?.text)).toEqual(['waiting 0', 'waiting 1', 'waiting 2']);
  });
});
