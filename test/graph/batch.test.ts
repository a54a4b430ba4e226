import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import type { BatchItem } from '../../src/graph/types.js';
import { APP_ID, APP_SECRET, sendJson, startStub, type StubServer } from './stub-server.js';
import { DEFAULT_GRAPH_VERSION as GRAPH_VERSION } from '../../src/config/load-config.js';

const stubs: StubServer[] = [];
const clients: GraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});

interface WireItem {
  method: string;
  relative_url: string;
}

async function batchStub(answer: (item: WireItem, index: number) => unknown) {
  const stub = await startStub((req, res) => {
    const form = new URLSearchParams(req.body);
    const items = JSON.parse(form.get('batch') ?? '[]') as WireItem[];
    if (items.length > 50) return sendJson(res, 400, { error: { message: '(#100) Too many requests in batch message. Maximum batch size is 50', code: 100, type: 'OAuthException' } });
    sendJson(res, 200, items.map(answer));
  });
  stubs.push(stub);
  const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET, sleep: async () => {} });
  clients.push(client);
  return { stub, client };
}

const debugItems = (n: number): BatchItem[] => Array.from({ length: n }, (_, i) => ({ method: 'GET', relativeUrl: `debug_token?input_token=EAAtoken${i}` }));
const ok = (item: WireItem) => ({ code: 200, headers: [{ name: 'Content-Type', value: 'application/json' }], body: JSON.stringify({ data: { url: item.relative_url } }) });

describe('batch requests', () => {
  it('sends 120 items as 3 requests of at most 50 and answers in order', async () => {
    const { stub, client } = await batchStub(ok);
    const results = await client.batch(debugItems(120), { token: client.appToken() });
    expect(stub.requests.map((r) => (JSON.parse(new URLSearchParams(r.body).get('batch') ?? '[]') as unknown[]).length)).toEqual([50, 50, 20]);
    expect(results).toHaveLength(120);
    results.forEach((r, i) => {
      expect(r.code).toBe(200);
      expect(r.body).toEqual({ data: { url: `debug_token?input_token=EAAtoken${i}` } });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.error).toBeUndefined();
    });
  });

  it('posts the token in the form, to the versioned root, never in the URL', async () => {
    const { stub, client } = await batchStub(ok);
    await client.batch(debugItems(1), { token: client.appToken(), includeHeaders: false });
    const r = stub.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url.pathname).toBe(`/${GRAPH_VERSION}/`);
    expect(r.url.search).toBe('');
    const form = new URLSearchParams(r.body);
    expect(form.get('access_token')).toBe(`${APP_ID}|${APP_SECRET}`);
    expect(form.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
    expect(form.get('include_headers')).toBe('false');
  });

  it('gives each failed or unfinished item its own error', async () => {
    // Keyed by the item, not its place: a null item is sent again on its own, and stays null here.
    const { client } = await batchStub((item) =>
      item.relative_url.endsWith('EAAtoken1')
        ? { code: 400, headers: [], body: JSON.stringify({ error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, error_subcode: 467 } }) }
        : item.relative_url.endsWith('EAAtoken2')
          ? null
          : ok(item),
    );
    const [a, b, c] = await client.batch(debugItems(3), { token: client.appToken() });
    expect(a?.error).toBeUndefined();
    expect(b?.code).toBe(400);
    expect(b?.error).toMatchObject({ kind: 'token_invalid', tokenReason: 'logged_out', code: 190 });
    expect(c?.code).toBe(0);
    expect(c?.error).toMatchObject({ kind: 'transient', isTransient: true });
  });

  it('sends nothing for an empty list', async () => {
    const { stub, client } = await batchStub(ok);
    expect(await client.batch([], { token: client.appToken() })).toEqual([]);
    expect(stub.requests).toHaveLength(0);
  });
});
