import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../src/emulator/state.js';
import type { MessageStatusEvent } from '../../src/messenger/outcome-events.js';
import { databaseBackends } from '../helpers/databases.js';
import { graph } from '../helpers/emulator.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

const dbs = await databaseBackends('receipts and held pages');

describe.each(dbs)('on $name', (db) => {
  beforeEach((ctx) => {
    if (db.skipped) ctx.skip(db.skipped);
  });

  it('delivery and read watermarks move the messages sent before them on, a later one only when the delivery names it; each change an event', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: await db.fresh() });
    const events: MessageStatusEvent[] = [];
    w.pk.messenger.onStatus((e) => events.push(e));
    w.pk.messenger.startWorker({ pollMs: 20 });
    const a = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'one'));
    const b = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'two'));
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 2);
    const watermark = Date.now();
    await new Promise((r) => setTimeout(r, 2_500)); // past the 2 s slack
    const c = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'three'));
    await waitFor(() => w.pk.messenger.getMessage(c.id), (m) => m?.status === 'sent');

    expect(await w.pk.messenger.recordReceipts([{ pageId: w.pageId, psid: w.psid, kind: 'delivery', watermark }])).toBe(2);
    const third = await w.pk.messenger.getMessage(c.id);
    // The delivery names the third message by its id: delivered although it is past the watermark.
    expect(await w.pk.messenger.recordReceipts([{ pageId: w.pageId, psid: w.psid, kind: 'delivery', watermark, mids: [third!.messageId!] }])).toBe(1);
    expect(await w.pk.messenger.recordReceipts([{ pageId: w.pageId, psid: w.psid, kind: 'read', watermark }])).toBe(2);
    expect((await w.pk.messenger.getMessage(a.id))?.status).toBe('read');
    expect((await w.pk.messenger.getMessage(b.id))?.status).toBe('read');
    expect((await w.pk.messenger.getMessage(c.id))?.status).toBe('delivered');
    // A late delivery receipt does not move a read message back.
    expect(await w.pk.messenger.recordReceipts([{ pageId: w.pageId, psid: w.psid, kind: 'delivery', watermark: Date.now() }])).toBe(0);
    expect(events.filter((e) => e.id === a.id).map((e) => e.status)).toEqual(['sent', 'delivered', 'read']);
    expect(events.filter((e) => e.id === c.id).map((e) => e.status)).toEqual(['sent', 'delivered']);
    expect((await w.pk.messenger.counts())).toMatchObject({ read: 2, delivered: 1, sent: 0 });
  });

  it('a Page held for a lost permission stays held until a reconnect changes its token, with held and queued events', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: await db.fresh() });
    const user = w.emu.users[0]!;
    const events: MessageStatusEvent[] = [];
    w.pk.messenger.onStatus((e) => events.push(e));
    w.pk.messenger.startWorker({ pollMs: 20, heldRecheckMs: 50 });
    await graph(w.emu, `v25.0/me/permissions/pages_messaging?access_token=${encodeURIComponent(user.shortLivedToken)}`, { method: 'DELETE' });
    const first = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'first'));
    await waitFor(() => w.pk.messenger.getMessage(first.id), (m) => m?.status === 'held');
    const second = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'second'));
    await new Promise((r) => setTimeout(r, 1_000));
    // The person's next message waits behind the held one; only the first send was tried.
    expect((await w.pk.messenger.getMessage(second.id))?.status).toBe('queued');
    expect((await w.emu.control.stats()).calls['POST /{page-id}/messages']).toBe(1);

    const { accessToken } = await w.emu.control.shortLivedToken(user.id, DEFAULT_SCOPES);
    await w.pk.connect(accessToken);
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === 2, 20_000);
    expect(events.filter((e) => e.id === first.id).map((e) => e.status)).toEqual(['held', 'queued', 'sent']);
    expect(events.find((e) => e.id === first.id && e.status === 'held')?.error).toMatchObject({ code: 230 });
    expect(events.filter((e) => e.id === second.id).map((e) => e.status)).toEqual(['sent']);
  });
});
