/**
 * A person writes to the Instagram account linked to a connected Page; the reply goes through
 * pagekeeper's outbox with the Page token and reaches the IGSID, with Instagram's rules.
 */
import { describe, expect, it } from 'vitest';
import { startInstagramWorld } from './world.js';
import { waitFor } from '../helpers/messenger.js';

describe('a reply to an Instagram DM', () => {
  it('is queued with channel instagram and sent to the IGSID from the Page', async () => {
    const w = await startInstagramWorld();
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'do you ship to Oslo?' });
    await w.pk.messenger.recordInstagramInbound(w.igId, igsid, Date.now());
    w.pk.messenger.startWorker({ pollMs: 20 });
    const { id } = await w.pk.page(w.pageId).instagram.enqueue({ recipient: { id: igsid }, messaging_type: 'RESPONSE', message: { text: 'Yes, in 3 days 🚚' } });
    const view = await waitFor(() => w.pk.messenger.get(id), (m) => m?.status === 'sent');
    expect(view).toMatchObject({ status: 'sent', channel: 'instagram', psid: igsid });
    const sent = await w.emu.control.instagramMessages(w.igId);
    expect(sent.map((m) => [m.recipientId, (m.message as { text: string }).text])).toEqual([[igsid, 'Yes, in 3 days 🚚']]);
    expect(view!.messageId).toBe(sent[0]!.messageId);
    // Nothing went to the Page's Messenger inbox.
    expect(await w.emu.control.sentMessages(w.pageId)).toEqual([]);
  });

  it('refuses a text over 1,000 bytes before queueing it, naming the limit', async () => {
    const w = await startInstagramWorld();
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'hi' });
    // 400 characters of 3 bytes each: fine for Messenger's 2,000 characters, too long for Instagram.
    const body = { recipient: { id: igsid }, messaging_type: 'RESPONSE', message: { text: '€'.repeat(400) } };
    await expect(w.pk.page(w.pageId).instagram.enqueue(body)).rejects.toMatchObject({ code: 'PK_MESSAGE_INVALID', message: expect.stringContaining('1200 bytes; Instagram allows 1000 bytes') });
    expect(await w.pk.messenger.list()).toEqual([]);
  });

  it('refuses a send for a Page with no linked Instagram account, with the fix', async () => {
    const w = await startInstagramWorld();
    await expect(w.pk.page(w.plainPageId).instagram.send('1234567890', { text: 'hi' })).rejects.toMatchObject({
      code: 'PK_INSTAGRAM_UNAVAILABLE',
      message: expect.stringContaining('No Instagram professional account is linked'),
      fix: expect.stringContaining('connect again'),
    });
  });
});
