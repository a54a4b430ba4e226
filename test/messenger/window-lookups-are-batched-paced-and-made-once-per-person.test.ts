import { describe, expect, it } from 'vitest';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

describe('window lookups for an outbox full of people pagekeeper has no record of', () => {
  it('ask once per person, go out in batches across Pages, stay under 2 per second per Page, and every message is sent', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld();
    const pages = w.emu.users[0]!.pages.map((p) => p.id);
    const people: Array<{ pageId: string; psid: string }> = [];
    for (const pageId of pages) for (let i = 0; i < 4; i++) people.push({ pageId, psid: (await w.emu.control.inbound(pageId, { text: `hi ${i}` })).psid });
    await w.emu.control.resetStats();
    w.pk.messenger.startWorker({ pollMs: 20 });

    const startedAt = Date.now();
    // Three messages per person, all enqueued at once.
    const ids = await Promise.all(people.flatMap((p) => [0, 1, 2].map((n) => w.pk.messenger.enqueue(p.pageId, textBody(p.psid, `reply ${n}`)).then((r) => r.id))));
    const elapsed = Date.now() - startedAt;
    await waitFor(() => Promise.all(ids.map((id) => w.pk.messenger.getMessage(id))), (ms) => ms.every((m) => m?.status === 'sent'), 30_000);

    const { calls } = await w.emu.control.stats();
    expect(calls['GET /{page-id}/conversations']).toBe(people.length);
    // Gathered into batch requests (several Pages and people per request), not one request each.
    expect(calls['POST /']).toBeLessThan(people.length);
    // 4 people on one Page at 2 per second: the last lookups wait for the next second.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    for (const pageId of pages) expect((await w.sent(pageId)).length).toBe(12);
    // Every lookup was answered (none refused with 613 for going over the Page's 2/s): each person's message time was recorded.
    const recorded = await w.pk.context.store.db.selectFrom('conversations').select(['page_id', 'psid']).execute();
    for (const p of people) expect(recorded).toContainEqual({ page_id: p.pageId, psid: p.psid });
  });

  it('let Facebook decide when the 20 messages it lets pagekeeper read are all the Page’s own', async () => {
    const w = await startMessengerWorld();
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'tell me everything' });
    // The Page answered 20 times (outside pagekeeper's messenger): the person's message is no longer readable.
    for (let i = 0; i < 20; i++) await w.pk.page(w.pageId).post(`${w.pageId}/messages`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: `part ${i}` } });
    await expect(w.pk.messenger.send(w.pageId, psid, { text: 'part 20' })).resolves.toMatchObject({ recipientId: psid });
  });

  it('stop asking for a Page whose token may not read conversations, and let Facebook decide its sends', async () => {
    const w = await startMessengerWorld();
    const user = w.emu.users[0]!;
    const { accessToken } = await w.emu.control.shortLivedToken(user.id, ['pages_show_list', 'pages_messaging', 'pages_read_engagement']);
    await w.pk.connect(accessToken);
    const a = (await w.emu.control.inbound(w.pageId, { text: 'a' })).psid;
    const b = (await w.emu.control.inbound(w.pageId, { text: 'b' })).psid;
    await w.emu.control.resetStats();
    await expect(w.pk.messenger.send(w.pageId, a, { text: 'to a' })).resolves.toMatchObject({ recipientId: a });
    await expect(w.pk.messenger.send(w.pageId, b, { text: 'to b' })).resolves.toMatchObject({ recipientId: b });
    expect((await w.emu.control.stats()).calls['GET /{page-id}/conversations']).toBe(1);
  });
});
