import { describe, expect, it } from 'vitest';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

describe('the outbox', () => {
  it('delivers every message once, in order per person, with two workers racing', async () => {
    const w = await startMessengerWorld();
    const people = [w.psid, await w.person(), await w.person(), await w.person()];
    const perPerson = 25;
    const ids: string[] = [];
    // Interleaved enqueues: person order must survive concurrency, not arrival batching.
    for (let i = 0; i < perPerson; i++) {
      for (const [p, psid] of people.entries()) ids.push((await w.pk.messenger.enqueue(w.pageId, textBody(psid, `p${p}-${i}`))).id);
    }
    w.pk.messenger.startWorker({ concurrency: 8, batchSize: 3, pollMs: 20 });
    w.pk.messenger.startWorker({ concurrency: 8, batchSize: 3, pollMs: 20 });
    await waitFor(() => w.pk.messenger.counts(), (c) => c.sent === ids.length);

    const sent = await w.sent();
    expect(sent).toHaveLength(ids.length);
    for (const [p, psid] of people.entries()) {
      const texts = sent.filter((m) => m.recipientId === psid).map((m) => m.message?.text);
      expect(texts).toEqual(Array.from({ length: perPerson }, (_, i) => `p${p}-${i}`));
    }
    const views = await Promise.all(ids.map((id) => w.pk.messenger.getMessage(id)));
    expect(new Set(views.map((v) => v?.messageId)).size).toBe(ids.length);
    expect(views.every((v) => v?.status === 'sent' && v.attempts === 1)).toBe(true);
  });

  it('persists the message before returning its id, and one key enqueues once', async () => {
    const w = await startMessengerWorld();
    const first = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'once'), { idempotencyKey: 'order-42' });
    expect(first).toMatchObject({ status: 'queued', duplicate: false });
    expect(await w.pk.messenger.getMessage(first.id)).toMatchObject({ id: first.id, status: 'queued', pageId: w.pageId, psid: w.psid });
    const again = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'once'), { idempotencyKey: 'order-42' });
    expect(again).toEqual({ id: first.id, status: 'queued', duplicate: true });
    await expect(w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'something else'), { idempotencyKey: 'order-42' })).rejects.toMatchObject({ code: 'PK_DUPLICATE' });

    w.pk.messenger.startWorker({ pollMs: 20 });
    await waitFor(() => w.pk.messenger.getMessage(first.id), (m) => m?.status === 'sent');
    const after = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'once'), { idempotencyKey: 'order-42' });
    expect(after).toMatchObject({ id: first.id, status: 'sent', duplicate: true });
    expect((await w.sent()).map((m) => m.message?.text)).toEqual(['once']);
  });

  it('refuses at enqueue what can never go out: invalid bodies, unknown pages, closed windows', async () => {
    const w = await startMessengerWorld();
    await expect(w.pk.messenger.enqueue(w.pageId, { recipient: { id: w.psid }, messaging_type: 'RESPONSE', message: {} })).rejects.toMatchObject({ code: 'PK_MESSAGE_INVALID' });
    await expect(w.pk.messenger.enqueue('999999', textBody(w.psid, 'hi'))).rejects.toMatchObject({ code: 'PK_PAGE_NOT_FOUND' });
    await w.pk.messenger.recordInbound(w.pageId, 'p-stale', Date.now() - 30 * 3600_000);
    await expect(w.pk.messenger.enqueue(w.pageId, textBody('p-stale', 'hi'))).rejects.toMatchObject({ code: 'PK_OUTSIDE_WINDOW' });
    expect((await w.pk.messenger.counts()).queued).toBe(0);
  });

  it('fails a message whose window closed while it waited, without a Graph call', async () => {
    let now = Date.now();
    const w = await startMessengerWorld();
    const clock = w.pk.context.clock as { now(): Date };
    const real = clock.now.bind(clock);
    const { id } = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'too late'));
    now = real().getTime() + 25 * 3600_000;
    // The worker sees time move on: the person wrote 25 hours "ago".
    (clock as { now(): Date }).now = () => new Date(now);
    try {
      w.pk.messenger.startWorker({ pollMs: 20 });
      const m = await waitFor(() => w.pk.messenger.getMessage(id), (v) => v?.status === 'failed');
      expect(m?.error?.message).toMatch(/PK_OUTSIDE_WINDOW.*HUMAN_AGENT/);
      expect(await w.sent()).toEqual([]);
    } finally {
      (clock as { now(): Date }).now = real;
    }
  });
});
