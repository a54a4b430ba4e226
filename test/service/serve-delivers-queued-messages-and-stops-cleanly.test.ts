import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { connectOverHttp, eventually, startServeProcess, type ServeProcess } from './serve-process.js';

const json = (s: ServeProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const emulator = (s: ServeProcess, method: string, path: string, body?: unknown) =>
  fetch(`${s.emulatorUrl}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) }).then(async (r) => {
    expect(r.status, await r.clone().text()).toBe(200);
    return r.json() as Promise<Record<string, unknown>>;
  });

/** Connects the emulator's user through the service and opens a conversation with one person. */
async function connectedWithConversation(s: ServeProcess): Promise<{ pageId: string; psid: string }> {
  expect(await connectOverHttp(s.url)).toContain('data-testid="connect-success"');
  const pages = (await (await json(s, 'GET', '/v1/pages')).json()) as { pages: { id: string; status: string }[] };
  expect(pages.pages.length).toBeGreaterThan(0);
  expect(pages.pages.every((p) => p.status === 'healthy')).toBe(true);
  const pageId = pages.pages[0]!.id;
  // The person writes to the Page: the emulator POSTs its signed webhook to the service, which
  // verifies it and opens the 24-hour window.
  const inbound = await emulator(s, 'POST', `pages/${pageId}/inbound`, { text: 'hello, is this open?' });
  expect(inbound).toMatchObject({ delivered: true, webhookStatus: 200 });
  return { pageId, psid: inbound.psid as string };
}

const textTo = (psid: string, text: string) => ({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } });

/** POSTs until the window is known (the webhook's bookkeeping runs right after its 200). */
async function enqueue(s: ServeProcess, pageId: string, body: unknown, key: string): Promise<{ id: string; status: string; duplicate: boolean }> {
  return eventually(async () => {
    const r = await json(s, 'POST', `/v1/pages/${pageId}/messages`, body, { 'idempotency-key': key });
    if (r.status === 202) return (await r.json()) as { id: string; status: string; duplicate: boolean };
    const e = (await r.json()) as { error: { code: string } };
    expect(e.error.code).toBe('PK_OUTSIDE_WINDOW');
    return undefined;
  }, 'the messaging window to open');
}

describe('pagekeeper serve with its workers', () => {
  it('queues a message through the REST API (202 with the outbox id), sends it, and reports it sent', async () => {
    const s = await startServeProcess();
    const { pageId, psid } = await connectedWithConversation(s);

    const queued = await enqueue(s, pageId, textTo(psid, 'Your order shipped ✓'), 'order-1-shipped');
    expect(queued).toMatchObject({ id: expect.stringMatching(/^msg_/), duplicate: false });
    const again = await json(s, 'POST', `/v1/pages/${pageId}/messages`, textTo(psid, 'Your order shipped ✓'), { 'idempotency-key': 'order-1-shipped' });
    expect([again.status, await again.json()]).toEqual([202, { id: queued.id, status: expect.any(String), duplicate: true }]);

    const sent = await eventually(async () => {
      const m = (await (await json(s, 'GET', `/v1/messages/${queued.id}`)).json()) as { status: string; messageId: string | null; pageId: string; psid: string };
      return m.status === 'sent' ? m : undefined;
    }, 'the worker to send the message');
    expect(sent).toMatchObject({ pageId, psid, messageId: expect.any(String) });
    const atFacebook = (await (await fetch(`${s.emulatorUrl}/_emulator/pages/${pageId}/messages`)).json()) as { data: { messageId: string; message: { text: string } }[] };
    expect(atFacebook.data).toEqual([expect.objectContaining({ messageId: sent.messageId, message: expect.objectContaining({ text: 'Your order shipped ✓' }) })]);

    expect((await json(s, 'GET', '/v1/messages/msg_unknown')).status).toBe(404);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^pagekeeper_outbox_messages\{status="sent"\} 1$/m);
    expect(metrics).toMatch(/^pagekeeper_graph_calls_total\{outcome="ok"\} [1-9]\d*$/m);

    const end = await s.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);
  }, 90_000);

  it('on SIGTERM finishes the send in flight, leaves the rest queued, and exits 0', async () => {
    const s = await startServeProcess();
    const { pageId, psid } = await connectedWithConversation(s);
    // Facebook answers slowly, and one person's messages go out one at a time, in order:
    // at SIGTERM one send is in flight and the rest are waiting.
    await emulator(s, 'POST', 'faults', { match: '/messages', kind: 'timeout', delayMs: 400 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await enqueue(s, pageId, textTo(psid, `update ${i}`), `update-${i}`)).id);
    await eventually(async () => {
      const m = (await (await json(s, 'GET', `/v1/messages/${ids[0]}`)).json()) as { status: string };
      return m.status === 'sending' || m.status === 'sent' ? true : undefined;
    }, 'the first send to start');

    const end = await s.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);

    const db = new Database(join(s.cwd, '.pagekeeper-dev', 'serve.db'), { readonly: true });
    try {
      const rows = db.prepare('select id, status, message_id from outbox').all() as { id: string; status: string; message_id: string | null }[];
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      const by = (status: string) => rows.filter((r) => r.status === status);
      // Nothing half-done: each message went out (with Facebook's id) or is still queued for the next start.
      expect(by('sent').length + by('queued').length).toBe(ids.length);
      expect(by('sent').length).toBeGreaterThanOrEqual(1);
      expect(by('queued').length).toBeGreaterThanOrEqual(1);
      expect(by('sent').every((r) => r.message_id !== null)).toBe(true);
    } finally {
      db.close();
    }
  }, 90_000);
});
