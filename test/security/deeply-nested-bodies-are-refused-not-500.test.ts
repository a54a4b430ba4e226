/**
 * Bodies nested far deeper than any real one (100,000 levels fit in the 1 MiB limit) are refused
 * with a coded 400 where they are validated, never a 500 from a stack overflow: a message
 * template, a signed webhook while an event stream listens, and the library's enqueue.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { signBody } from '../../src/service/security/verify-webhook-signature.js';
import { outboxPortOf } from '../../src/service/service-extensions.js';
import { startService } from '../service/service-harness.js';

const DEPTH = 100_000;
const nested = (inner: string) => '{"a":'.repeat(DEPTH) + inner + '}'.repeat(DEPTH);

describe('a body nested 100,000 levels deep', () => {
  it('is a 400 for a message template and for the library outbox, and nothing is stored', async () => {
    const h = await startService();
    Object.assign(h.deps, { outbox: outboxPortOf(h.pk) });
    const [pageId] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hi' });
    await h.pk.messenger.recordInbound(pageId!, psid, new Date());
    const payload = `{"recipient":{"id":"${psid}"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"generic","elements":[${nested('1')}]}}}}`;
    expect(payload.length).toBeLessThan(1024 * 1024);
    const res = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/messages`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toMatch(/^PK_(VALIDATION|MESSAGE_INVALID)$/);
    expect(res.json().error.message).toMatch(/nests more than \d+ levels/);

    await expect(h.pk.messenger.enqueue(pageId!, JSON.parse(payload))).rejects.toMatchObject({ code: 'PK_MESSAGE_INVALID' });
    expect(await h.pk.context.store.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('is a 400 for a signed webhook while an event stream listens, and the stream carries on', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
    const stream = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${await h.key(['events:read'])}` } });
    const reader = stream.body!.getReader();

    const deep = Buffer.from(`{"object":"page","entry":[{"id":"${pageId}","time":1,"messaging":[${nested('1')}]}]}`);
    const hook = (body: Buffer) => fetch(`${base}/webhooks/messenger`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, h.emu.appSecret) }, body });
    const refused = await hook(deep);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PK_VALIDATION');

    const fine = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: pageId, time: 1, messaging: [{ sender: { id: '5' }, recipient: { id: pageId }, timestamp: Date.now(), message: { mid: 'm1', text: 'still here' } }] }] }));
    expect((await hook(fine)).status).toBe(200);
    let text = '';
    while (!text.includes('still here')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).not.toContain('"a":{"a"');
    await reader.cancel();
  });
});
