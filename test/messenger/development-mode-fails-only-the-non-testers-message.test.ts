import { describe, expect, it } from 'vitest';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

describe('an app in development mode', () => {
  it("fails only the message to a person without a role on the app; the tester's goes out and the Page is not held", async () => {
    const w = await startMessengerWorld();
    await w.emu.control.setAppMode('development');
    const { psid: tester } = await w.emu.control.inbound(w.pageId, { text: 'hi from a tester', role: 'tester' });
    const { psid: stranger } = await w.emu.control.inbound(w.pageId, { text: 'hi from someone else' });
    for (const p of [tester, stranger]) await w.pk.messenger.recordInbound(w.pageId, p, Date.now());
    w.pk.messenger.startWorker({ pollMs: 20, heldRecheckMs: 100 });

    const toStranger = await w.pk.messenger.enqueue(w.pageId, textBody(stranger, 'thanks for writing'));
    const toTester = await w.pk.messenger.enqueue(w.pageId, textBody(tester, 'thanks, tester'));
    const failed = await waitFor(() => w.pk.messenger.getMessage(toStranger.id), (m) => m?.status === 'failed');
    expect(failed?.error).toMatchObject({ code: 10, subcode: null });
    expect(failed?.error?.message).toMatch(/development mode/);
    expect(failed?.error?.message).toMatch(/add the person as a tester in App Roles, or take the app live after App Review of pages_messaging/);
    await waitFor(() => w.pk.messenger.getMessage(toTester.id), (m) => m?.status === 'sent');

    // The Page keeps going: later messages to the tester are sent, nothing is held.
    const later = await w.pk.messenger.enqueue(w.pageId, textBody(tester, 'one more'));
    await waitFor(() => w.pk.messenger.getMessage(later.id), (m) => m?.status === 'sent');
    expect((await w.pk.messenger.counts()).held).toBe(0);
    expect((await w.sent()).map((m) => [m.recipientId, m.message?.text])).toEqual([
      [tester, 'thanks, tester'],
      [tester, 'one more'],
    ]);

    // Once the app is live, the same person can be messaged.
    await w.emu.control.setAppMode('live');
    const again = await w.pk.messenger.enqueue(w.pageId, textBody(stranger, 'now we are live'));
    await waitFor(() => w.pk.messenger.getMessage(again.id), (m) => m?.status === 'sent');
  });
});
