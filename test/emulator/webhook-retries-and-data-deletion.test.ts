import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GRAPH_VERSION as V, graph, startTestEmulator } from '../helpers/emulator.js';

/** A receiver that verifies the handshake, then answers POSTs with the scripted statuses (last one repeats). */
async function receiver(statuses: number[], answer = 'EVENT_RECEIVED') {
  const posts: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      if (req.method === 'GET') return res.end(u.searchParams.get('hub.challenge'));
      posts.push(Buffer.concat(chunks));
      res.statusCode = statuses[Math.min(posts.length, statuses.length) - 1]!;
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts };
}

function signedRequestPayload(raw: Buffer, secret: string): Record<string, unknown> {
  const [sig, payload] = new URLSearchParams(raw.toString()).get('signed_request')!.split('.') as [string, string];
  expect(sig).toBe(createHmac('sha256', secret).update(payload).digest('base64url'));
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('webhook delivery retries', () => {
  it('a failed messaging delivery is retried with the same signed bytes until the app answers 2xx', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver([500, 503, 200]);
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', maxAttempts: 4, retryDelayMs: 1 });
    const r = await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'hi' });
    expect(r.delivered).toBe(true);
    expect(r.attempts!.map((a) => a.status)).toEqual([500, 503, 200]);
    expect(hook.posts).toHaveLength(3);
    expect(hook.posts[1]!.equals(hook.posts[0]!)).toBe(true);
    expect(hook.posts[2]!.equals(hook.posts[0]!)).toBe(true);
  });

  it('gives up after maxAttempts and reports every attempt, also in GET /_emulator/webhook', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver([500]);
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', maxAttempts: 2, retryDelayMs: 1 });
    const r = await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'hi' });
    expect(r).toMatchObject({ delivered: false, webhookStatus: 500 });
    expect(r.attempts).toHaveLength(2);
    const status = await emu.control.webhook();
    expect(status).toMatchObject({ configured: true, url: hook.url, maxAttempts: 2, retryDelayMs: 1 });
    expect(status.deliveries).toEqual([
      { kind: 'messages', url: hook.url, delivered: false, status: 500, attempts: [expect.objectContaining({ status: 500 }), expect.objectContaining({ status: 500 })] },
    ]);
  });

  it('a receiver that went away counts as failed attempts carrying the network error', async () => {
    const emu = await startTestEmulator();
    const server = createServer((req, res) => res.end(new URL(req.url!, 'http://x').searchParams.get('hub.challenge')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await emu.control.setWebhook({ url, verifyToken: 'vt', maxAttempts: 2, retryDelayMs: 1 });
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    const r = await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'hi' });
    expect(r.delivered).toBe(false);
    expect(r.webhookStatus).toBeUndefined();
    expect(r.attempts).toEqual([
      { at: expect.any(String), error: expect.any(String) },
      { at: expect.any(String), error: expect.any(String) },
    ]);
  });

  it('rejects retry settings out of range with a 400 naming the field', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver([200]);
    await expect(emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', maxAttempts: 0 })).rejects.toThrow(/400.*maxAttempts/);
  });
});

describe('data-deletion callback', () => {
  it('posts a signed_request with user_id, issued_at and expires, and checks the {url, confirmation_code} answer', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver([200], JSON.stringify({ url: 'https://app.example/deletion?id=abc', confirmation_code: 'abc' }));
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', dataDeletionUrl: hook.url });
    const user = emu.users[0]!;
    const r = await emu.control.dataDeletion(user.id);
    expect(r).toEqual({ delivered: true, status: 200, valid: true, answer: { url: 'https://app.example/deletion?id=abc', confirmation_code: 'abc' } });
    const payload = signedRequestPayload(hook.posts[0]!, emu.appSecret);
    expect(payload).toEqual({ algorithm: 'HMAC-SHA256', user_id: user.id, issued_at: expect.any(Number), expires: expect.any(Number) });
    expect(payload.expires).toBeGreaterThan(payload.issued_at as number);
    // The person removed the app: their tokens stop working.
    expect((await graph(emu, `${V}/me?access_token=${user.shortLivedToken}`)).json.error).toMatchObject({ code: 190, error_subcode: 458 });
    expect((await emu.control.webhook()).deliveries.map((d) => d.kind)).toEqual(['data_deletion']);
  });

  it('says what is wrong when the app does not answer the documented shape', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver([200], 'OK');
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt', dataDeletionUrl: hook.url });
    const r = await emu.control.dataDeletion(emu.users[0]!.id);
    expect(r).toMatchObject({ delivered: true, valid: false, problem: expect.stringContaining('confirmation_code') });
  });

  it('is a 400 when no dataDeletionUrl is configured', async () => {
    const emu = await startTestEmulator();
    await expect(emu.control.dataDeletion(emu.users[0]!.id)).rejects.toThrow(/400.*dataDeletionUrl/);
  });
});
