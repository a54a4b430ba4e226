/**
 * A Page's Instagram sends have their own budget (per Instagram account, 100/s) apart from its
 * Messenger budget: when Facebook throttles one, the other keeps sending.
 */
import { describe, expect, it } from 'vitest';
import { throttleKeyOf } from '../../src/messenger/throttle.js';
import { waitFor } from '../helpers/messenger.js';
import { startInstagramWorld } from './world.js';

async function people(w: Awaited<ReturnType<typeof startInstagramWorld>>) {
  const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'hi' });
  await w.pk.messenger.recordInstagramInbound(w.igId, igsid, Date.now());
  const { psid } = await w.emu.control.inbound(w.pageId, { text: 'hi' });
  await w.pk.messenger.recordInbound(w.pageId, psid, Date.now());
  return { igsid, psid };
}

const text = (id: string, t: string) => ({ recipient: { id }, messaging_type: 'RESPONSE', message: { text: t } });

describe('the Messenger and Instagram budgets of one Page', () => {
  it('caps Instagram at 100/s and Messenger at 300/s, separately', async () => {
    const w = await startInstagramWorld();
    expect(w.pk.messenger.throttle.state(throttleKeyOf(w.pageId, 'instagram')).cap).toBe(100);
    expect(w.pk.messenger.throttle.state(w.pageId).cap).toBe(300);
  });

  it('keeps Messenger sending while Facebook throttles the Instagram account (80002)', async () => {
    const w = await startInstagramWorld();
    const { igsid, psid } = await people(w);
    await w.emu.control.setLimits({ pageId: w.igId, sendPerSecond: 1 });
    w.pk.messenger.startWorker({ pollMs: 20 });
    // Different people, so the outbox's per-person order does not chain them.
    const igIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { igsid: other } = await w.emu.control.instagramInbound(w.igId, { text: `hi ${i}` });
      await w.pk.messenger.recordInstagramInbound(w.igId, other, Date.now());
      igIds.push((await w.pk.page(w.pageId).instagram.enqueue(text(other, `ig ${i}`))).id);
    }
    igIds.push((await w.pk.page(w.pageId).instagram.enqueue(text(igsid, 'ig last'))).id);
    await waitFor(() => Promise.all(igIds.map((id) => w.pk.messenger.getMessage(id))), (ms) => ms.some((m) => m?.error?.code === 80002));
    const fbIds: string[] = [];
    for (let i = 0; i < 5; i++) fbIds.push((await w.pk.messenger.enqueue(w.pageId, text(psid, `fb ${i}`))).id);
    await waitFor(() => Promise.all(fbIds.map((id) => w.pk.messenger.getMessage(id))), (ms) => ms.every((m) => m?.status === 'sent'));
    expect((await w.emu.control.sentMessages(w.pageId)).map((m) => (m.message as { text: string }).text)).toEqual(['fb 0', 'fb 1', 'fb 2', 'fb 3', 'fb 4']);
    // The Instagram key is paused; the Page's Messenger key is not.
    expect(w.pk.messenger.throttle.state(throttleKeyOf(w.pageId, 'instagram')).pausedUntil).not.toBeNull();
    expect(w.pk.messenger.throttle.state(w.pageId).pausedUntil).toBeNull();
  });

  it('keeps Instagram sending while Facebook throttles the Page (613)', async () => {
    const w = await startInstagramWorld();
    const { igsid, psid } = await people(w);
    await w.emu.control.setLimits({ pageId: w.pageId, sendPerSecond: 1 });
    w.pk.messenger.startWorker({ pollMs: 20 });
    const fbIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { psid: other } = await w.emu.control.inbound(w.pageId, { text: `hi ${i}` });
      await w.pk.messenger.recordInbound(w.pageId, other, Date.now());
      fbIds.push((await w.pk.messenger.enqueue(w.pageId, text(other, `fb ${i}`))).id);
    }
    fbIds.push((await w.pk.messenger.enqueue(w.pageId, text(psid, 'fb last'))).id);
    await waitFor(() => Promise.all(fbIds.map((id) => w.pk.messenger.getMessage(id))), (ms) => ms.some((m) => m?.error?.code === 613));
    const igIds: string[] = [];
    for (let i = 0; i < 5; i++) igIds.push((await w.pk.page(w.pageId).instagram.enqueue(text(igsid, `ig ${i}`))).id);
    await waitFor(() => Promise.all(igIds.map((id) => w.pk.messenger.getMessage(id))), (ms) => ms.every((m) => m?.status === 'sent'));
    expect((await w.emu.control.instagramMessages(w.igId)).map((m) => (m.message as { text: string }).text)).toEqual(['ig 0', 'ig 1', 'ig 2', 'ig 3', 'ig 4']);
    expect(w.pk.messenger.throttle.state(w.pageId).pausedUntil).not.toBeNull();
  });
});
