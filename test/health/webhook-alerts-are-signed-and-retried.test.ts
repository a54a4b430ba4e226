import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createWebhookNotifier } from '../../src/notify/webhook-notifier.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey, openKeeper, tempDir } from './setup.js';

interface Received {
  body: string;
  signature: string | undefined;
  contentType: string | undefined;
}

/** A receiver on 127.0.0.1 that answers each distinct body with `statuses` in turn (then 200) and keeps every request. */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; answered: number[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const answered: number[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-pagekeeper-signature'] as string | undefined, contentType: req.headers['content-type'] });
      const body = received.at(-1)!.body;
      const seen = received.filter((r) => r.body === body).length;
      const status = statuses[seen - 1] ?? 200;
      answered.push(status);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => server.close(() => r()));
  onTestFinished(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/pagekeeper`, received, answered, close };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const SECRET = 'alert-signing-secret';

describe('the outgoing webhook', () => {
  it('POSTs each alert as JSON signed with HMAC-SHA256 of the exact body', async () => {
    const hook = await receiver();
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const { pk } = await openKeeper(emu, { notifiers: [createWebhookNotifier({ url: hook.url, secret: SECRET })] });
    await pk.connect(user.shortLivedToken);
    await emu.control.event(user.id, 'password_changed');
    await pk.page(pageId).get(pageId).catch(() => {});
    await pk.health.alerts!.flush();

    const forPage = hook.received.filter((r) => (JSON.parse(r.body) as { pageId: string }).pageId === pageId);
    expect(forPage).toHaveLength(2);
    for (const r of forPage) {
      // Checked independently of pagekeeper's own signing code.
      // `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, t close to now (receivers refuse old ones).
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.signature ?? '') ?? [];
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${r.body}`).digest('hex'));
      expect(r.contentType).toMatch(/application\/json/);
    }
    const status = forPage.map((r) => JSON.parse(r.body) as Record<string, unknown>).find((e) => e.type === 'page_status_changed')!;
    expect(status).toMatchObject({ pageId, oldState: 'healthy', newState: 'needs_reauth', userId: user.id, reason: expect.stringMatching(/password/), fix: expect.stringMatching(/connect/) });
    expect(typeof status.id).toBe('number');
    const everything = hook.received.map((r) => r.body).join('\n');
    expect(everything).not.toContain(emu.appSecret);
    expect(everything).not.toMatch(/EAA[A-Za-z0-9]{20,}/);
  });

  it('a failing receiver is retried with backoff until it answers 2xx, and the delivery is recorded', async () => {
    const hook = await receiver([500, 503]);
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const notifier = createWebhookNotifier({ url: hook.url, secret: SECRET });
    const { pk } = await openKeeper(emu, { notifiers: [notifier], notify: { pollMs: 20, retryBaseMs: 10, maxRetryMs: 40 } });
    await pk.connect(user.shortLivedToken);
    await pk.handleDeauthorize(user.id);

    const rows = () => pk.context.store.db.selectFrom('notifications').selectAll().orderBy('id').execute();
    await until(async () => (await rows()).length > 0 && (await rows()).every((r) => r.status === 'delivered'), 'every alert delivered');
    const delivered = await rows();
    for (const row of delivered) {
      expect(row).toMatchObject({ notifier: 'webhook', status: 'delivered', attempts: 3, last_error: null });
      expect(row.delivered_at).not.toBeNull();
      // The same alert, byte for byte, three times (receivers de-duplicate on its id).
      expect(hook.received.filter((r) => r.body === row.payload).length).toBe(3);
    }
    expect(hook.answered.filter((s) => s !== 200)).toHaveLength(2 * delivered.length);
    expect(hook.received.some((r) => (JSON.parse(r.body) as { pageId: string }).pageId === pageId)).toBe(true);
  });

  it('alerts not delivered before a restart are delivered by the next process', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const dbFile = join(tempDir(), 'pk.db');
    const keys = newKey();
    const down = await receiver();
    const downUrl = down.url;
    await down.close();

    const first = await openKeeper(emu, { dbFile, keys, notifiers: [createWebhookNotifier({ url: downUrl, secret: SECRET })], notify: { retryBaseMs: 0, maxRetryMs: 0 } });
    await first.pk.connect(user.shortLivedToken);
    await first.pk.handleDeauthorize(user.id);
    await first.pk.health.alerts!.flush();
    const pending = await first.pk.context.store.db.selectFrom('notifications').selectAll().execute();
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((r) => r.status === 'pending' && r.attempts >= 1 && /unreachable/.test(r.last_error ?? ''))).toBe(true);
    await first.pk.close();

    const up = await receiver();
    const second = await openKeeper(emu, { dbFile, keys, notifiers: [createWebhookNotifier({ url: up.url, secret: SECRET })], notify: { pollMs: 20 } });
    await second.pk.health.alerts!.flush();
    expect(up.received).toHaveLength(pending.length);
    const after = await second.pk.context.store.db.selectFrom('notifications').selectAll().execute();
    expect(after.every((r) => r.status === 'delivered')).toBe(true);
  });
});
