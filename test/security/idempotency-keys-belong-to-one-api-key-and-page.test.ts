/**
 * An Idempotency-Key belongs to the API key that sent it, and to the Page: two clients that
 * happen to pick the same key get two messages, and a conflict never tells one client the id
 * of another client's message.
 */
import { describe, expect, it } from 'vitest';
import { outboxPortOf } from '../../src/service/service-extensions.js';
import { startService } from '../service/service-harness.js';

describe('POST /v1/pages/{id}/messages with Idempotency-Key', () => {
  it('scopes the key to the API key and the Page, and a conflict names no message', async () => {
    // The outbox port is built after the harness; the route reads deps.outbox when called.
    const h = await startService();
    Object.assign(h.deps, { outbox: outboxPortOf(h.pk) });
    const [pageA, pageB] = await h.connectFirstUser();
    const psids: string[] = [];
    for (const page of [pageA!, pageB!]) {
      const { psid } = await h.emu.control.inbound(page, { text: 'hi' });
      await h.pk.messenger.recordInbound(page, psid, new Date());
      psids.push(psid);
    }
    const alice = await h.key(['messages:write']);
    const bob = await h.key(['messages:write']);
    const post = (key: string, page: string, psid: string, text: string, idem = 'order-42') =>
      h.server.app.inject({
        method: 'POST',
        url: `/v1/pages/${page}/messages`,
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem },
        payload: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } },
      });

    const a1 = await post(alice, pageA!, psids[0]!, 'from alice');
    expect(a1.statusCode).toBe(202);
    expect(a1.json()).toMatchObject({ duplicate: false });
    // Alice's own repeat is a duplicate that returns her message.
    expect((await post(alice, pageA!, psids[0]!, 'from alice')).json()).toEqual({ ...a1.json(), duplicate: true });

    // Bob picks the same key, same Page, other text: his own new message, not a conflict.
    const b1 = await post(bob, pageA!, psids[0]!, 'from bob');
    expect(b1.statusCode).toBe(202);
    expect(b1.json()).toMatchObject({ duplicate: false });
    expect(b1.json().id).not.toBe(a1.json().id);
    // Bob with the same body as Alice: still his own message, never Alice's id.
    const b2 = await post(bob, pageA!, psids[0]!, 'from alice', 'order-43');
    const b3 = await post(bob, pageA!, psids[0]!, 'from alice', 'order-42');
    expect(b3.statusCode).toBe(409);
    expect(b3.body).not.toContain(a1.json().id);
    expect(b3.body).not.toContain(b1.json().id);
    expect(b3.body).not.toMatch(/msg_/);
    expect(b3.json().error.code).toBe('PK_DUPLICATE');
    expect(b2.json().id).not.toBe(a1.json().id);

    // Alice, same key on another Page: another message.
    const a2 = await post(alice, pageB!, psids[1]!, 'from alice');
    expect(a2.statusCode).toBe(202);
    expect(a2.json()).toMatchObject({ duplicate: false });
    expect(a2.json().id).not.toBe(a1.json().id);

    const rows = await h.pk.context.store.db.selectFrom('outbox').select(['id']).execute();
    expect(rows.map((r) => r.id).sort()).toEqual([a1.json().id, b1.json().id, b2.json().id, a2.json().id].sort());
  });
});
