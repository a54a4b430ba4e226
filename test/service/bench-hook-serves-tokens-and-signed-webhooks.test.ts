import { describe, expect, it, onTestFinished } from 'vitest';
import { startBareFastify, startBenchService } from '../../bench/lib/bench-service.js';

describe('the benchmark hook', () => {
  it('starts the service with N pages, a key that reads tokens, and a webhook body that passes verification', async () => {
    const svc = await startBenchService({ pages: 5, eventsPerWebhook: 3 });
    onTestFinished(() => svc.close());
    expect(svc.pageIds).toHaveLength(5);

    const token = await fetch(`${svc.url}/v1/pages/${svc.pageId}/token`, { headers: { authorization: `Bearer ${svc.apiKey}` } });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ pageId: svc.pageId, accessToken: expect.any(String) });

    const hook = await fetch(svc.url + svc.webhook.path, { method: 'POST', headers: svc.webhook.headers, body: svc.webhook.body });
    expect([hook.status, await hook.text()]).toEqual([200, 'EVENT_RECEIVED']);
    expect(svc.webhook.events).toBe(3);
    const tampered = await fetch(svc.url + svc.webhook.path, { method: 'POST', headers: svc.webhook.headers, body: svc.webhook.body.replace('Hello', 'Jello') });
    expect(tampered.status).toBe(403);
  });

  it('starts the yardstick: a bare Fastify route answering a constant', async () => {
    const bare = await startBareFastify();
    onTestFinished(() => bare.close());
    expect(await (await fetch(bare.url)).json()).toEqual({ ok: true });
  });
});
