/**
 * The operations console's actions over REST, with the dashboard's rules: a message Facebook
 * refused (an app in development mode, a person without a role) is found by filter, retried as a
 * NEW message linked to the old one once the app is live, and sent; asking twice gives the same
 * retry; only failed or unknown messages can be retried and only waiting ones cancelled; a Page
 * can be removed (its waiting messages cancelled, its tokens deleted) and re-subscribed.
 */
import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';
import { waitFor } from '../helpers/messenger.js';

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type Msg = { id: string; status: string; pageId: string; psid: string; preview: string; retryOf: string | null; error: { code: number | null; message: string | null } | null };

describe('the outbox over REST', () => {
  it('finds a failed message by filter, retries it as a new linked message that is sent, and refuses what cannot be retried or cancelled', async () => {
    const h = await startService({}, { outbox: 'library' });
    const [pageId] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    await h.emu.control.setAppMode('development');
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hello' });
    await h.pk.messenger.recordInbound(pageId!, psid, Date.now());
    h.pk.messenger.startWorker({ pollMs: 20 });

    const queued = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/messages`, headers: auth(key), payload: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Your order   has shipped and will arrive on Tuesday, between nine and five, at the door' } } });
    expect(queued.statusCode).toBe(202);
    const oldId = (queued.json() as { id: string }).id;
    await waitFor(() => h.pk.messenger.getMessage(oldId), (m) => m?.status === 'failed');

    // Found by filter, with a short one-line preview and the error.
    const failed = await h.server.app.inject({ url: `/v1/messages?status=failed&pageId=${pageId}`, headers: auth(key) });
    expect(failed.statusCode).toBe(200);
    const list = (failed.json() as { messages: Msg[] }).messages;
    expect(list.map((m) => m.id)).toEqual([oldId]);
    expect(list[0]!.preview).toBe('Your order has shipped and will arrive on Tuesday, between…');
    expect(list[0]!.error?.code).toBe(10);
    expect((await h.server.app.inject({ url: `/v1/messages?status=sent`, headers: auth(key) })).json()).toMatchObject({ messages: [] });
    expect((await h.server.app.inject({ url: `/v1/messages?since=${new Date(Date.now() + 60_000).toISOString()}`, headers: auth(key) })).json()).toMatchObject({ messages: [] });
    const badFilter = await h.server.app.inject({ url: `/v1/messages?status=lost`, headers: auth(key) });
    expect(badFilter.statusCode).toBe(400);
    expect(badFilter.json()).toMatchObject({ error: { code: 'PK_VALIDATION' } });

    // The app goes live; the retry is a new message, the old one stays failed and linked.
    await h.emu.control.setAppMode('live');
    const retry = await h.server.app.inject({ method: 'POST', url: `/v1/messages/${oldId}/retry`, headers: auth(key) });
    expect(retry.statusCode).toBe(202);
    const r = retry.json() as { id: string; retryOf: string; duplicate: boolean };
    expect(r).toMatchObject({ retryOf: oldId, duplicate: false });
    expect(r.id).not.toBe(oldId);
    await waitFor(() => h.pk.messenger.getMessage(r.id), (m) => m?.status === 'sent');
    const again = await h.server.app.inject({ method: 'POST', url: `/v1/messages/${oldId}/retry`, headers: auth(key) });
    expect(again.json()).toMatchObject({ id: r.id, duplicate: true });
    // Facebook got the text once, through the retry.
    const sent = await h.emu.control.sentMessages(pageId!);
    expect(sent.filter((m) => (m.message as { text?: string } | undefined)?.text?.startsWith('Your order')).length).toBe(1);

    const history = (await h.server.app.inject({ url: `/v1/messages/${oldId}/history`, headers: auth(key) })).json() as { status: string; retriedAs: string[]; history: { status: string; error: { code: number | null } | null; note: string | null }[] };
    expect(history.status).toBe('failed');
    expect(history.retriedAs).toEqual([r.id]);
    expect(history.history.map((e) => e.status)).toEqual(['queued', 'failed', 'failed']);
    expect(history.history[1]!.error?.code).toBe(10);
    expect(history.history[2]!.note).toBe(`retried as ${r.id}`);
    const newHistory = (await h.server.app.inject({ url: `/v1/messages/${r.id}/history`, headers: auth(key) })).json() as { retryOf: string; history: { status: string }[] };
    expect(newHistory.retryOf).toBe(oldId);
    expect(newHistory.history.map((e) => e.status)).toEqual(['queued', 'sent']);

    // A sent message can be neither retried nor cancelled.
    const noRetry = await h.server.app.inject({ method: 'POST', url: `/v1/messages/${r.id}/retry`, headers: auth(key) });
    expect(noRetry.statusCode).toBe(409);
    expect(noRetry.json()).toMatchObject({ error: { code: 'PK_MESSAGE_NOT_RETRYABLE', fix: expect.stringMatching(/--status failed/) } });
    const noCancel = await h.server.app.inject({ method: 'POST', url: `/v1/messages/${r.id}/cancel`, headers: auth(key) });
    expect(noCancel.statusCode).toBe(409);
    expect(noCancel.json()).toMatchObject({ error: { code: 'PK_MESSAGE_NOT_CANCELLABLE' } });
    expect((await h.server.app.inject({ method: 'POST', url: `/v1/messages/msg_nope/cancel`, headers: auth(key) })).statusCode).toBe(404);

    // The audit log says who did what.
    const events = await h.server.app.inject({ url: `/v1/audit-log?event=message_retried`, headers: auth(await h.key(['events:read'])) });
    expect((events.json() as { events: { pageId: string; detail: Record<string, unknown> }[] }).events).toEqual([expect.objectContaining({ pageId, detail: { messageId: oldId, retry: r.id } })]);
  });

  it('cancels a queued message so it is never sent, and removes a Page: waiting messages cancelled, tokens deleted, the token route 404', async () => {
    const h = await startService({}, { outbox: 'library' });
    const [pageId, otherId] = await h.connectFirstUser();
    const key = await h.key(['messages:write', 'tokens:read', 'pages:read']);
    const manage = await h.key(['pages:manage']);
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hello' });
    await h.pk.messenger.recordInbound(pageId!, psid, Date.now());
    const enqueue = async (text: string) =>
      ((await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/messages`, headers: auth(key), payload: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } } })).json() as { id: string }).id;
    // No worker runs yet: the messages wait.
    const first = await enqueue('first');
    const second = await enqueue('second');
    const third = await enqueue('third');
    const cancelled = await h.server.app.inject({ method: 'POST', url: `/v1/messages/${first}/cancel`, headers: auth(key) });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: first, status: 'cancelled' });
    // Cancelled is final: the person's next message is the head of their queue now.
    h.pk.messenger.startWorker({ pollMs: 20 });
    await waitFor(() => h.pk.messenger.getMessage(third), (m) => m?.status === 'sent');
    expect((await h.emu.control.sentMessages(pageId!)).map((m) => (m.message as { text?: string } | undefined)?.text)).toEqual(['second', 'third']);
    expect((await h.pk.messenger.getMessage(first))?.status).toBe('cancelled');
    void second;

    // Removing needs pages:manage.
    expect((await h.server.app.inject({ method: 'DELETE', url: `/v1/pages/${pageId}`, headers: auth(key) })).statusCode).toBe(403);
    await h.pk.messenger.stop();
    const waiting = await enqueue('never sent');
    const removed = await h.server.app.inject({ method: 'DELETE', url: `/v1/pages/${pageId}`, headers: auth(manage) });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ pageId, cancelledMessages: 1, tokensDeleted: 1, unsubscribed: true });
    expect((await h.pk.messenger.getMessage(waiting))?.status).toBe('cancelled');
    expect((await h.emu.control.pageSubscription(pageId!)).subscribedFields).toBeNull();
    expect((await h.server.app.inject({ url: `/v1/pages/${pageId}/token`, headers: auth(key) })).statusCode).toBe(404);
    const listed = ((await h.server.app.inject({ url: `/v1/pages`, headers: auth(key) })).json() as { pages: { id: string }[] }).pages.map((p) => p.id);
    expect(listed).toContain(otherId);
    expect(listed).not.toContain(pageId);
    expect(await h.pk.context.store.pageTokens.listForPage(pageId!)).toEqual([]);
    expect((await h.server.app.inject({ method: 'DELETE', url: `/v1/pages/${pageId}`, headers: auth(manage) })).statusCode).toBe(404);

    // Re-subscribe the other Page after Facebook dropped it.
    await h.emu.control.dropPageSubscription(otherId!);
    const resub = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${otherId}/subscription`, headers: auth(manage) });
    expect(resub.statusCode).toBe(200);
    expect(resub.json()).toMatchObject({ id: otherId, subscription: { subscribed: true, fields: expect.arrayContaining(['messages']) } });
    expect((await h.emu.control.pageSubscription(otherId!)).subscribedFields).toContain('messages');
  });
});
