/**
 * A batch of reads is retried like a read (5xx, non-JSON, resets), and its items that come back
 * null or with a transient error are sent again on their own, bounded, with backoff; a POST item
 * that may have run is not repeated unless the caller says it is safe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import type { BatchItem } from '../../src/graph/types.js';
import { APP_ID, APP_SECRET, sendJson, startStub, type StubServer } from './stub-server.js';

const stubs: StubServer[] = [];
const clients: GraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});

interface WireItem {
  method: string;
  relative_url: string;
  body?: string;
}

type Answer = (item: WireItem, request: number) => unknown;

/** A batch endpoint; `whole` may answer the HTTP request itself (a 502 page, a reset). */
async function batchStub(answer: Answer, options: { whole?: (request: number, res: import('node:http').ServerResponse) => boolean; maxRetries?: number } = {}) {
  let request = 0;
  const seen: WireItem[][] = [];
  const sleeps: number[] = [];
  const stub = await startStub((req, res) => {
    request++;
    const items = JSON.parse(new URLSearchParams(req.body).get('batch') ?? '[]') as WireItem[];
    seen.push(items);
    if (options.whole?.(request, res)) return;
    sendJson(res, 200, items.map((it) => answer(it, request)));
  });
  stubs.push(stub);
  const client = createGraphClient({
    graphUrl: stub.url,
    appId: APP_ID,
    appSecret: APP_SECRET,
    random: () => 0.5,
    sleep: async (ms) => void sleeps.push(ms),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
  clients.push(client);
  return { client, seen, sleeps };
}

const reads = (n: number): BatchItem[] => Array.from({ length: n }, (_, i) => ({ method: 'GET', relativeUrl: `debug_token?input_token=EAAt${i}` }));
const ok = (it: WireItem) => ({ code: 200, body: JSON.stringify({ url: it.relative_url }) });
const transient = { code: 500, body: JSON.stringify({ error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true } }) };
const html502 = { code: 502, body: '<html><body>Bad Gateway</body></html>' };

describe('resilient batches', () => {
  it('an HTML 502 answer to a batch of reads is retried like a read', async () => {
    const { client, seen } = await batchStub(ok, {
      whole: (n, res) => {
        if (n > 2) return false;
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
        return true;
      },
    });
    const results = await client.batch(reads(3), { token: client.appToken() });
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(seen).toHaveLength(3);
  });

  it('a reset during a batch of reads is retried', async () => {
    const { client, seen } = await batchStub(ok, {
      whole: (n, res) => {
        if (n !== 1) return false;
        res.socket?.destroy();
        return true;
      },
    });
    expect((await client.batch(reads(2), { token: client.appToken() })).every((r) => r.error === undefined)).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('null, transient and non-JSON items are sent again alone; the others are not repeated', async () => {
    const { client, seen, sleeps } = await batchStub((it, n) => {
      if (n === 1 && it.relative_url.endsWith('EAAt1')) return null;
      if (n === 1 && it.relative_url.endsWith('EAAt2')) return transient;
      if (n <= 2 && it.relative_url.endsWith('EAAt3')) return html502;
      return ok(it);
    });
    const results = await client.batch(reads(5), { token: client.appToken() });
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(results.map((r) => (r.body as { url: string }).url)).toEqual(reads(5).map((i) => i.relativeUrl));
    expect(seen.map((s) => s.map((i) => i.relative_url.slice(-5)))).toEqual([['EAAt0', 'EAAt1', 'EAAt2', 'EAAt3', 'EAAt4'], ['EAAt1', 'EAAt2', 'EAAt3'], ['EAAt3']]);
    // Backoff between rounds, growing.
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(sleeps[0]!);
  });

  it('an item that keeps failing gives up after the retry bound and keeps its error', async () => {
    const { client, seen } = await batchStub((it) => (it.relative_url.endsWith('EAAt0') ? null : ok(it)), { maxRetries: 2 });
    const [a, b] = await client.batch(reads(2), { token: client.appToken() });
    expect(a!.error).toMatchObject({ kind: 'transient' });
    expect(b!.error).toBeUndefined();
    expect(seen).toHaveLength(3);
  });

  it('an error about the request itself is not retried', async () => {
    const refused = { code: 400, body: JSON.stringify({ error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } }) };
    const { client, seen } = await batchStub(() => refused);
    const [a] = await client.batch(reads(1), { token: client.appToken() });
    expect(a!.error).toMatchObject({ kind: 'token_invalid' });
    expect(seen).toHaveLength(1);
  });

  it('a null POST item may have run: it is not repeated unless the caller says the POST is safe to repeat', async () => {
    const post: BatchItem = { method: 'POST', relativeUrl: '123/subscribed_apps', body: { subscribed_fields: 'messages' }, token: 'EAApage' };
    const unsafe = await batchStub((it, n) => (n === 1 ? null : ok(it)));
    const [a] = await unsafe.client.batch([post], { token: unsafe.client.appToken() });
    expect(a!.error).toBeDefined();
    expect(unsafe.seen).toHaveLength(1);

    const safe = await batchStub((it, n) => (n === 1 ? null : ok(it)));
    const [b] = await safe.client.batch([post], { token: safe.client.appToken(), idempotent: true });
    expect(b!.error).toBeUndefined();
    expect(safe.seen).toHaveLength(2);
    // The item's own token and proof travel in the item's body.
    const body = new URLSearchParams(safe.seen[0]![0]!.body);
    expect(body.get('access_token')).toBe('EAApage');
    expect(body.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
    expect(body.get('subscribed_fields')).toBe('messages');
  });
});
