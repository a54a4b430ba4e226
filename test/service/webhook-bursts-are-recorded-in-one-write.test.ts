import { describe, expect, it } from 'vitest';
import { signBody } from '../../src/service/security/verify-webhook-signature.js';
import { createInboundBatcher } from '../../src/service/webhooks/create-inbound-batcher.js';
import type { InboundContact } from '../../src/service/webhooks/webhook-event.js';
import { startService } from './service-harness.js';

const contact = (psid: string, at: number): InboundContact => ({ pageId: 'P', psid, at: new Date(at) });

describe('a burst of webhooks', () => {
  it('is written once per event-loop turn, one row per person with their latest time', async () => {
    const writes: InboundContact[][] = [];
    const batcher = createInboundBatcher({ write: async (c) => void writes.push([...c]), onError: (e) => { throw e; } });
    batcher.add([contact('A', 1_000)]);
    batcher.add([contact('B', 2_000), contact('A', 3_000)]);
    batcher.add([contact('A', 2_500)]);
    expect(writes).toEqual([]); // nothing is written while the requests are being answered
    await batcher.flush();
    expect(writes).toEqual([[contact('A', 3_000), contact('B', 2_000)]]);
  });

  it('waits for a running write and puts what arrived meanwhile into the next one', async () => {
    const writes: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = createInboundBatcher({
      write: async (c) => {
        writes.push(c.map((x) => x.psid));
        if (writes.length === 1) await gate;
      },
      onError: () => {},
    });
    batcher.add([contact('A', 1)]);
    await new Promise((r) => setImmediate(r));
    batcher.add([contact('B', 1)]);
    batcher.add([contact('C', 1)]);
    expect(writes).toEqual([['A']]);
    release();
    await batcher.flush();
    expect(writes).toEqual([['A'], ['B', 'C']]);
  });

  it('reports a failed write and keeps recording later ones', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const written: string[] = [];
    const batcher = createInboundBatcher({
      write: async (c) => {
        if (fail) throw new Error('database is locked');
        written.push(...c.map((x) => x.psid));
      },
      onError: (e) => errors.push(e),
    });
    batcher.add([contact('A', 1)]);
    await batcher.flush();
    fail = false;
    batcher.add([contact('B', 1)]);
    await batcher.flush();
    expect([errors.length, written]).toEqual([1, ['B']]);
  });

  it('through the service: many signed events, each person stored once with the latest time, never moved back', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const post = (psid: string, timestamp: number) => {
      const body = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: pageId, time: timestamp, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp, message: { mid: `m_${psid}_${timestamp}`, text: 'hi' } }] }] }));
      return h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, h.emu.appSecret) }, payload: body });
    };
    const t = Date.now() - 60_000;
    const answers = await Promise.all([post('U1', t), post('U2', t + 5), post('U1', t + 10), post('U1', t + 3)]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await post('U2', t + 1)).statusCode).toBe(200); // older than what is stored: ignored
    await h.server.shutdown(2000);
    const rows = await h.pk.context.store.db.selectFrom('conversations').select(['psid', 'last_inbound_at']).orderBy('psid').execute();
    expect(rows.map((r) => [r.psid, Number(r.last_inbound_at)])).toEqual([
      ['U1', t + 10],
      ['U2', t + 5],
    ]);
  });
});
