import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifyBodySignature } from '../../src/notify/sign-body.js';
import { waitFor } from '../helpers/messenger.js';
import { startService } from './service-harness.js';

interface StatusEvent {
  id: string;
  pageId: string;
  recipientId: string;
  status: string;
  messageId?: string;
  error?: { code: number | null; subcode: number | null; message: string | null };
  at: string;
}

/** Collects `event: message.status` from an open /v1/events stream. */
function collectStatusEvents(body: ReadableStream<Uint8Array>): { events: StatusEvent[]; stop: () => Promise<void> } {
  const events: StatusEvent[] = [];
  const reader = body.getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += new TextDecoder().decode(value);
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.includes('event: message.status')) continue;
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as StatusEvent);
      }
    }
  })();
  return { events, stop: () => reader.cancel() };
}

async function forwardReceiver() {
  const received: { body: string; signature: string | undefined; event: string | undefined }[] = [];
  const app = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-pagekeeper-signature'] as string | undefined, event: req.headers['x-pagekeeper-event'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => app.close(() => r())));
  return { url: `http://127.0.0.1:${(app.address() as AddressInfo).port}/hook`, received };
}

describe('message.status events', () => {
  it('follow a queued message to sent, delivered and read on /v1/events and the forward URL, with GET /v1/messages/{id} and /metrics agreeing', async () => {
    const forward = await forwardReceiver();
    const h = await startService({ forwardUrl: forward.url, forwardSecret: 'forward-secret-0123456789' }, { outbox: 'library' });
    const [pageId] = await h.connectFirstUser();
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
    await h.emu.control.setWebhook({ url: `${base}/webhooks/messenger`, verifyToken: 'verify-me' });
    h.pk.messenger.startWorker({ pollMs: 20 });

    const stream = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${await h.key(['events:read'])}` } });
    const { events, stop } = collectStatusEvents(stream.body!);
    onTestFinished(stop);

    const { psid } = await h.emu.control.inbound(pageId!, { text: 'where is my order?' });
    const api = { authorization: `Bearer ${await h.key(['messages:write'])}`, 'content-type': 'application/json' };
    const queued = await fetch(`${base}/v1/pages/${pageId}/messages`, {
      method: 'POST',
      headers: api,
      body: JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'On its way' } }),
    });
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };

    const sent = await waitFor(async () => events.find((e) => e.id === id && e.status === 'sent'), (e) => e !== undefined);
    expect(sent).toEqual({ id, pageId, recipientId: psid, status: 'sent', messageId: expect.stringMatching(/^m_/), at: expect.any(String) });

    expect((await h.emu.control.receipt(pageId!, { psid, type: 'delivery' })).delivered).toBe(true);
    await waitFor(async () => events.map((e) => e.status), (s) => s.includes('delivered'));
    expect((await h.emu.control.receipt(pageId!, { psid, type: 'read' })).delivered).toBe(true);
    await waitFor(async () => events.map((e) => e.status), (s) => s.includes('read'));
    expect(events.filter((e) => e.id === id).map((e) => e.status)).toEqual(['sent', 'delivered', 'read']);

    const view = (await (await fetch(`${base}/v1/messages/${id}`, { headers: api })).json()) as { status: string; messageId: string };
    expect(view).toMatchObject({ status: 'read', messageId: sent!.messageId });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^pagekeeper_outbox_messages\{status="read"\} 1$/m);
    expect(metrics).toMatch(/^pagekeeper_outbox_messages\{status="delivered"\} 0$/m);

    // The forward URL gets the same events, signed, told apart from Facebook's bodies by a header.
    const forwarded = await waitFor(async () => forward.received.filter((r) => r.event === 'message.status'), (r) => r.length >= 3);
    expect(forwarded.map((r) => (JSON.parse(r.body) as StatusEvent).status)).toEqual(['sent', 'delivered', 'read']);
    for (const r of forwarded) expect(verifyBodySignature(r.body, 'forward-secret-0123456789', r.signature)).toBe(true);
  });

  it('report a failure with Facebook’s code and the fix, and only for the person it is about', async () => {
    const h = await startService({}, { outbox: 'library' });
    const [pageId] = await h.connectFirstUser();
    h.pk.messenger.startWorker({ pollMs: 20 });
    const seen: StatusEvent[] = [];
    h.pk.messenger.onStatus((e) => seen.push(e as StatusEvent));
    await h.emu.control.setAppMode('development');
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hi' });
    await h.pk.messenger.recordInbound(pageId!, psid, new Date());
    const { id } = await h.pk.messenger.enqueue(pageId!, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hello' } });
    const failed = await waitFor(async () => seen.find((e) => e.id === id), (e) => e !== undefined);
    expect(failed).toMatchObject({ status: 'failed', recipientId: psid, error: { code: 10, subcode: null, message: expect.stringMatching(/App Roles/) } });
    expect(failed).not.toHaveProperty('messageId');
  });
});

describe('POST /v1/pages/{id}/inbound', () => {
  it('records that a person wrote, so a send needs no lookup; refuses bad input, unknown Pages and keys without messages:write', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hello via my own receiver' });
    const key = await h.key(['messages:write']);
    const post = (page: string, body: unknown, k = key) =>
      h.server.app.inject({ method: 'POST', url: `/v1/pages/${page}/inbound`, headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

    const at = new Date(Date.now() - 60_000).toISOString();
    const ok = await post(pageId!, { psid, at });
    expect([ok.statusCode, ok.json()]).toEqual([200, { pageId, psid, at }]);
    await h.emu.control.resetStats();
    await expect(h.pk.messenger.send(pageId!, psid, { text: 'got it' })).resolves.toMatchObject({ recipientId: psid });
    expect((await h.emu.control.stats()).calls['GET /{page-id}/conversations']).toBeUndefined();

    const future = await post(pageId!, { psid, at: '2999-01-01T00:00:00Z' });
    expect(Date.parse((future.json() as { at: string }).at)).toBeLessThanOrEqual(Date.now());
    const bad = await post(pageId!, { psid: 'not-a-psid' });
    expect([bad.statusCode, (bad.json() as { error: { code: string; message: string } }).error]).toEqual([400, expect.objectContaining({ code: 'PK_VALIDATION', message: expect.stringMatching(/psid/) })]);
    expect((await post('999999', { psid })).statusCode).toBe(404);
    expect((await post(pageId!, { psid }, await h.key(['pages:read']))).statusCode).toBe(403);
  });
});
