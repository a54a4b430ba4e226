/**
 * Instagram messages use the Page token: a password change holds them exactly as it holds the
 * Page's Messenger messages, and a reconnect releases both, in order.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/messenger.js';
import { IG_SCOPES, startInstagramWorld } from './world.js';

describe('a password change', () => {
  it("holds the Page's Instagram and Messenger messages and a reconnect sends them", async () => {
    const w = await startInstagramWorld();
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'hi' });
    await w.pk.messenger.recordInstagramInbound(w.igId, igsid, Date.now());
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'hi on Messenger' });
    await w.pk.messenger.recordInbound(w.pageId, psid, Date.now());
    w.pk.messenger.startWorker({ pollMs: 20, heldRecheckMs: 100 });

    await w.emu.control.event(w.userId, 'password_changed');
    const ig = [];
    for (let i = 0; i < 3; i++) ig.push((await w.pk.page(w.pageId).instagram.enqueue({ recipient: { id: igsid }, messaging_type: 'RESPONSE', message: { text: `ig ${i}` } })).id);
    const fb = (await w.pk.messenger.enqueue(w.pageId, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'messenger' } })).id;
    await waitFor(() => w.pk.messenger.counts(), (c) => c.held === 4);
    const first = await w.pk.messenger.getMessage(ig[0]!);
    expect(first).toMatchObject({ status: 'held', channel: 'instagram', error: { code: 190 } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await w.pk.messenger.counts()).held).toBe(4);
    expect(await w.emu.control.instagramMessages(w.igId)).toEqual([]);

    const { accessToken } = await w.emu.control.shortLivedToken(w.userId, IG_SCOPES);
    await w.pk.connect(accessToken);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 4);
    expect((await w.emu.control.instagramMessages(w.igId)).map((m) => (m.message as { text: string }).text)).toEqual(['ig 0', 'ig 1', 'ig 2']);
    expect((await w.pk.messenger.getMessage(fb))?.status).toBe('sent');
  });
});
