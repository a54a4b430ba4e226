/**
 * Instagram's windows: a reply more than 24 hours after the person's last DM is refused by
 * pagekeeper itself (after asking Facebook's Conversations API with platform=instagram once),
 * without a send; with the HUMAN_AGENT tag it goes out up to 7 days after.
 */
import { describe, expect, it } from 'vitest';
import { startInstagramWorld } from './world.js';

const HOUR = 3600;

describe("Instagram's messaging window", () => {
  it('refuses a reply 25 hours after the last DM locally and sends it with HUMAN_AGENT', async () => {
    let offsetMs = 0;
    const w = await startInstagramWorld({ clock: { now: () => new Date(Date.now() + offsetMs) } });
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'is the blue mug back?' });
    await w.pk.messenger.recordInstagramInbound(w.igId, igsid, Date.now());

    // 25 hours later, on both clocks.
    await w.emu.control.advanceClock(25 * HOUR);
    offsetMs = 25 * HOUR * 1000;
    await w.emu.control.resetStats();
    const ig = w.pk.page(w.pageId).instagram;
    await expect(ig.send(igsid, { text: 'Yes, it is back!' })).rejects.toMatchObject({
      code: 'PK_OUTSIDE_WINDOW',
      message: expect.stringMatching(/25 hours ago .*outside Instagram's 24-hour window/),
      fix: expect.stringContaining('HUMAN_AGENT'),
    });
    const stats = await w.emu.control.stats();
    // Facebook was asked once about the window (Instagram conversations), and nothing was sent.
    expect(stats.calls['POST /{page-id}/messages'] ?? 0).toBe(0);
    expect(await w.emu.control.instagramMessages(w.igId)).toEqual([]);

    const sent = await ig.send(igsid, { text: 'Yes, it is back! (Ines from the shop)' }, { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect(sent.recipientId).toBe(igsid);
    const onInstagram = await w.emu.control.instagramMessages(w.igId);
    expect(onInstagram.map((m) => [m.tag, (m.message as { text: string }).text])).toEqual([['HUMAN_AGENT', 'Yes, it is back! (Ines from the shop)']]);
  });

  it('refuses HUMAN_AGENT too after 7 days, saying only a new message reopens it', async () => {
    let offsetMs = 0;
    const w = await startInstagramWorld({ clock: { now: () => new Date(Date.now() + offsetMs) } });
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'hello' });
    await w.pk.messenger.recordInstagramInbound(w.igId, igsid, Date.now());
    await w.emu.control.advanceClock(8 * 24 * HOUR);
    offsetMs = 8 * 24 * HOUR * 1000;
    await expect(w.pk.page(w.pageId).instagram.send(igsid, { text: 'late' }, { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' })).rejects.toMatchObject({
      code: 'PK_OUTSIDE_WINDOW',
      fix: expect.stringContaining('Only a new message from the person reopens the window'),
    });
    expect(await w.emu.control.instagramMessages(w.igId)).toEqual([]);
  });

  it('asks Facebook (platform=instagram) when pagekeeper saw no webhook, and sends when the person wrote', async () => {
    const w = await startInstagramWorld();
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'no webhook reached pagekeeper' });
    await w.emu.control.resetStats();
    await w.pk.page(w.pageId).instagram.send(igsid, { text: 'hi!' });
    const stats = await w.emu.control.stats();
    expect(stats.calls['POST /']).toBe(1); // the batched Conversations lookup
    expect(stats.calls['GET /{page-id}/conversations']).toBe(1);
    expect((await w.emu.control.instagramMessages(w.igId)).map((m) => m.recipientId)).toEqual([igsid]);
    // The answer was recorded: a second send asks nothing more.
    await w.emu.control.resetStats();
    await w.pk.page(w.pageId).instagram.send(igsid, { text: 'again' });
    expect((await w.emu.control.stats()).calls['GET /{page-id}/conversations'] ?? 0).toBe(0);
  });
});
