import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifyBodySignature } from '../../src/notify/sign-body.js';
import { signBody } from '../../src/service/security/verify-webhook-signature.js';
import { startService } from './service-harness.js';

function eventBody(pageId: string, text: string, escapeNonAscii: boolean, psid = '7000000000000001'): Buffer {
  const json = JSON.stringify({ object: 'page', entry: [{ id: pageId, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: Date.now() - 1000, message: { mid: 'm_1', text } }] }] });
  // Facebook's form: non-ASCII as \uXXXX escapes (docs/graph-api.md "Webhooks").
  const text2 = escapeNonAscii ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
  return Buffer.from(text2, 'utf8');
}

describe('the Messenger webhook', () => {
  it('answers the verification handshake with the challenge only for the right verify token', async () => {
    const h = await startService();
    const ok = await h.server.app.inject({ url: '/webhooks/messenger?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444' });
    expect([ok.statusCode, ok.body, ok.headers['content-type']]).toEqual([200, '1158201444', 'text/plain; charset=utf-8']);
    for (const q of ['hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1', 'hub.mode=subscribe&hub.challenge=1', 'hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1', 'hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=<script>']) {
      expect((await h.server.app.inject({ url: `/webhooks/messenger?${q}` })).statusCode).toBe(403);
    }
  });

  it.each([
    ['\\u-escaped non-ASCII', true],
    ['raw UTF-8 non-ASCII', false],
  ])('accepts a signed body with %s and opens the messaging window', async (_name, escape) => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const body = eventBody(pageId!, 'grüß dich 😀 Ünïcödé', escape);
    const res = await h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, h.emu.appSecret) }, payload: body });
    expect(res.statusCode).toBe(200);
    await h.server.shutdown(2000); // waits for the background bookkeeping
    const rows = await h.pk.context.store.db.selectFrom('conversations').selectAll().execute();
    expect(rows).toMatchObject([{ page_id: pageId, psid: '7000000000000001' }]);
  });

  it('refuses a missing signature with 401 and a wrong one with 403, recording nothing', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const body = eventBody(pageId!, 'hi', true);
    const post = (headers: Record<string, string>, payload: Buffer = body) => h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': 'application/json', ...headers }, payload });
    expect((await post({})).statusCode).toBe(401);
    expect((await post({ 'x-hub-signature-256': signBody(body, 'not-the-secret') })).statusCode).toBe(403);
    // Signed over the raw UTF-8 but sent escaped: different bytes, so refused.
    expect((await post({ 'x-hub-signature-256': signBody(eventBody(pageId!, 'grüß', false), h.emu.appSecret) }, eventBody(pageId!, 'grüß', true))).statusCode).toBe(403);
    await h.server.shutdown(2000);
    expect(await h.pk.context.store.db.selectFrom('conversations').selectAll().execute()).toEqual([]);
  });

  it('never answers 500 to random bodies, content types and signatures', async () => {
    const h = await startService();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4096 }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'),
        fc.oneof(fc.constant('valid'), fc.string(), fc.stringMatching(/^sha256=[0-9a-f]{64}$/)),
        async (bytes, type, sig) => {
          const body = Buffer.from(bytes);
          const header = sig === 'valid' ? signBody(body, h.emu.appSecret) : sig;
          const res = await h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': type, 'x-hub-signature-256': header }, payload: body });
          expect(res.statusCode).toBeLessThan(500);
          if (sig !== 'valid') expect(res.statusCode).toBe(403);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('forwards the exact bytes, signed, to the forward URL and streams them to /v1/events', async () => {
    const received: { body: Buffer; signature: string | undefined }[] = [];
    let arrived: () => void = () => {};
    const gotIt = new Promise<void>((r) => (arrived = r));
    const app = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), signature: req.headers['x-pagekeeper-signature'] as string | undefined });
        res.end('ok');
        arrived();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => app.close(() => r())));
    const forwardUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/hook`;

    const h = await startService({ forwardUrl, forwardSecret: 'forward-secret-0123456789', notifyWebhookSecret: 'alert-secret-0123456789' });
    const [pageId] = await h.connectFirstUser();
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;

    const key = await h.key(['events:read']);
    expect((await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${await h.key(['pages:read'])}` } })).status).toBe(403);
    const stream = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();

    const body = eventBody(pageId!, 'über', true);
    const res = await fetch(`${base}/webhooks/messenger`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, h.emu.appSecret) }, body });
    expect(res.status).toBe(200);

    await gotIt;
    expect(received[0]!.body.equals(body)).toBe(true);
    // t=...,v1=... over "<t>." + the exact bytes, with the forwarding secret (not the alert secret).
    expect(received[0]!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyBodySignature(received[0]!.body, 'forward-secret-0123456789', received[0]!.signature)).toBe(true);
    expect(verifyBodySignature(received[0]!.body, 'alert-secret-0123456789', received[0]!.signature)).toBe(false);

    let text = '';
    while (!text.includes('event: messenger')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"text":"über"');
    await reader.cancel();
  });
});
