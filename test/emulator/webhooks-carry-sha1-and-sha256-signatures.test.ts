/**
 * Messaging deliveries carry both signature headers Facebook sends: `X-Hub-Signature-256`
 * (sha256) and the legacy `X-Hub-Signature` (sha1), each over the raw body bytes with the app
 * secret, so a receiver that checks only sha1 accepts them too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';

/** A receiver as sha1-only frameworks write it: 403 unless X-Hub-Signature matches. */
async function sha1OnlyReceiver(secret: string) {
  const got: { headers: Record<string, string | string[] | undefined>; raw: Buffer; accepted: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      if (req.method === 'GET') return res.end(u.searchParams.get('hub.challenge'));
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`);
      const header = Buffer.from(String(req.headers['x-hub-signature'] ?? ''));
      const accepted = header.length === expected.length && timingSafeEqual(header, expected);
      got.push({ headers: req.headers, raw, accepted });
      res.statusCode = accepted ? 200 : 403;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('webhook signature headers', () => {
  it('a receiver that checks only X-Hub-Signature (sha1) accepts the delivery; X-Hub-Signature-256 signs the same bytes', async () => {
    const emu = await startTestEmulator();
    const hook = await sha1OnlyReceiver(emu.appSecret);
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt' });
    const pageId = emu.users[0]!.pages[0]!.id;
    const r = await emu.control.inbound(pageId, { text: 'Grüße, sha1' });
    expect(r.delivered).toBe(true);
    expect(hook.got).toHaveLength(1);
    const { headers, raw, accepted } = hook.got[0]!;
    expect(accepted).toBe(true);
    expect(headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', emu.appSecret).update(raw).digest('hex')}`);
  });

  it('the sha1 signature is made with the app secret: a receiver holding another secret refuses it', async () => {
    const emu = await startTestEmulator();
    const hook = await sha1OnlyReceiver('not-the-app-secret');
    await emu.control.setWebhook({ url: hook.url, verifyToken: 'vt' });
    const r = await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'hi' });
    expect(r.delivered).toBe(false);
    expect(hook.got[0]!.accepted).toBe(false);
  });
});
