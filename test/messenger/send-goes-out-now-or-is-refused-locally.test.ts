import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { text } from '../../src/messenger/index.js';
import { startMessengerWorld } from '../helpers/messenger.js';

const HOUR = 3600_000;

async function sendCalls(emu: { control: { stats(): Promise<{ calls: Record<string, number> }> } }): Promise<number> {
  const { calls } = await emu.control.stats();
  return Object.entries(calls)
    .filter(([k]) => k.includes('messages'))
    .reduce((n, [, v]) => n + v, 0);
}

describe('a direct send', () => {
  it('goes out at once and returns the message id Facebook gave it', async () => {
    const w = await startMessengerWorld();
    const r = await w.pk.messenger.send(w.pageId, w.psid, text('hello there'));
    expect(r.recipientId).toBe(w.psid);
    expect(r.messageId).toMatch(/^m_/);
    const sent = await w.sent();
    expect(sent.map((m) => [m.messageId, m.message?.text])).toEqual([[r.messageId, 'hello there']]);
  });

  it('is refused without a Graph call when the person wrote more than 24 h ago, suggesting HUMAN_AGENT', async () => {
    const w = await startMessengerWorld();
    const psid = 'p-stale';
    await w.pk.messenger.recordInbound(w.pageId, psid, Date.now() - 30 * HOUR);
    await w.emu.control.resetStats();
    const e = await w.pk.messenger.send(w.pageId, psid, text('late')).catch((x: unknown) => x);
    expect(isPageKeeperError(e) && e.code).toBe('PK_OUTSIDE_WINDOW');
    expect(isPageKeeperError(e) && e.fix).toMatch(/HUMAN_AGENT/);
    expect(await sendCalls(w.emu)).toBe(0);
    await w.pk.messenger.send(w.pageId, w.psid, text('in time'));
    expect(await sendCalls(w.emu)).toBe(1);
  });

  it('is refused locally for a person who never wrote, and after 7 days even with HUMAN_AGENT', async () => {
    const w = await startMessengerWorld();
    const never = await w.pk.messenger.send(w.pageId, 'p-never', text('hi')).catch((x: unknown) => x);
    expect(isPageKeeperError(never) && never.code).toBe('PK_OUTSIDE_WINDOW');
    await w.pk.messenger.recordInbound(w.pageId, 'p-old', Date.now() - 8 * 24 * HOUR);
    const old = await w.pk.messenger.send(w.pageId, 'p-old', text('hi'), { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }).catch((x: unknown) => x);
    expect(isPageKeeperError(old) && old.code).toBe('PK_OUTSIDE_WINDOW');
    expect(isPageKeeperError(old) && old.fix).not.toMatch(/HUMAN_AGENT tag/);
    expect(await w.sent()).toEqual([]);
  });

  it('goes out with HUMAN_AGENT within 7 days of the last message, where RESPONSE is refused', async () => {
    // pagekeeper's own record decides here: the emulator's person wrote just now, so asking Facebook would open the window.
    const w = await startMessengerWorld({ messenger: { lookupWindow: false } });
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'hello' });
    await w.pk.messenger.recordInbound(w.pageId, psid, Date.now() - 3 * 24 * HOUR);
    await expect(w.pk.messenger.send(w.pageId, psid, text('bot reply'))).rejects.toMatchObject({ code: 'PK_OUTSIDE_WINDOW' });
    const r = await w.pk.messenger.send(w.pageId, psid, text('a person answers'), { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect(r.messageId).toMatch(/^m_/);
    expect((await w.sent()).map((m) => m.message?.text)).toEqual(['a person answers']);
  });

  it('refuses an invalid message before anything else', async () => {
    const w = await startMessengerWorld();
    const e = await w.pk.messenger.send(w.pageId, w.psid, { text: 'x'.repeat(2001) }).catch((x: unknown) => x);
    expect(isPageKeeperError(e) && e.code).toBe('PK_MESSAGE_INVALID');
    expect(await w.sent()).toEqual([]);
  });

  it('opens the window once an inbound message is recorded', async () => {
    // Without the Conversations lookup (the people Facebook shows are covered in window-lookup tests).
    const w = await startMessengerWorld({ messenger: { lookupWindow: false } });
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'new here' });
    await expect(w.pk.messenger.send(w.pageId, psid, text('hi'))).rejects.toMatchObject({ code: 'PK_OUTSIDE_WINDOW' });
    await w.pk.messenger.recordInbound(w.pageId, psid, new Date());
    await expect(w.pk.messenger.send(w.pageId, psid, text('hi'))).resolves.toMatchObject({ recipientId: psid });
  });
});
