import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import { pageAccountsSchema } from '../../src/graph/schemas.js';
import { APP_ID, APP_SECRET, failure, recordSleeps, sendJson, startStub, type StubServer, USER_TOKEN } from './stub-server.js';

const stubs: StubServer[] = [];
const clients: GraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});

async function setup(handler: Parameters<typeof startStub>[0], extra: Partial<Parameters<typeof createGraphClient>[0]> = {}) {
  const stub = await startStub(handler);
  stubs.push(stub);
  const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET, sleep: recordSleeps().sleep, ...extra });
  clients.push(client);
  return { stub, client };
}

describe('answers that cannot be trusted', () => {
  it('gives up on a server that never answers: PK_GRAPH_TIMEOUT, delivery unknown', async () => {
    const { client } = await setup(() => {
      /* never answers */
    });
    const err = await failure(client.post('1/messages', { recipient: { id: '2' } }, { token: USER_TOKEN, timeoutMs: 150 }));
    expect(err.pkCode).toBe('PK_GRAPH_TIMEOUT');
    expect(err.delivery).toBe('unknown');
    expect(err.message).toBe('Facebook did not answer within 150 ms');
  });

  it('retries a GET that timed out, but not a POST', async () => {
    const { stub, client } = await setup((_req, res, n) => (n === 1 ? undefined : sendJson(res, 200, { id: '1' })), { timeoutMs: 150 });
    await expect(client.get('me', {}, { token: USER_TOKEN })).resolves.toEqual({ id: '1' });
    expect(stub.requests).toHaveLength(2);
  });

  it('reports a connection reset after the request was sent as delivery unknown', async () => {
    const { stub, client } = await setup((_req, res) => {
      res.socket?.destroy();
    });
    const err = await failure(client.post('1/messages', { recipient: { id: '2' } }, { token: USER_TOKEN }));
    expect(err.pkCode).toBe('PK_GRAPH_UNREACHABLE');
    expect(err.delivery).toBe('unknown');
    expect(err.kind).toBe('transient');
    expect(stub.requests).toHaveLength(1);
  });

  it('treats an HTML 502 as a transient bad response and retries GETs', async () => {
    const { stub, client } = await setup((_req, res, n) => {
      if (n === 1) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      } else sendJson(res, 200, { id: '7' });
    });
    await expect(client.get('me', {}, { token: USER_TOKEN })).resolves.toEqual({ id: '7' });
    expect(stub.requests).toHaveLength(2);
  });

  it('reports an HTML 502 as PK_GRAPH_BAD_RESPONSE, transient, without the HTML in the message', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const err = await failure(client.get('me', {}, { token: USER_TOKEN, retry: false }));
    expect(err).toMatchObject({ pkCode: 'PK_GRAPH_BAD_RESPONSE', kind: 'transient', httpStatus: 502, delivery: 'answered', code: 0 });
    expect(err.message).not.toContain('<html>');
  });

  it('calls a truncated JSON body a transient bad response', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[{"id":"1"');
    });
    const err = await failure(client.get('me/accounts', {}, { token: USER_TOKEN, retry: false }));
    expect(err.pkCode).toBe('PK_GRAPH_BAD_RESPONSE');
    expect(err.kind).toBe('transient');
    expect(err.httpStatus).toBe(200);
  });

  it('names the field path when a response does not match the expected shape, keeping the body as cause', async () => {
    const { client } = await setup((_req, res) => sendJson(res, 200, { data: [{ id: '1', name: 'A Page', access_token: 42 }] }));
    const err = await failure(client.get('me/accounts', {}, { token: USER_TOKEN, schema: pageAccountsSchema }));
    expect(err.pkCode).toBe('PK_GRAPH_BAD_RESPONSE');
    expect(err.message).toContain('data[0].access_token: expected string');
    expect(err.kind).toBe('invalid_request');
    expect((err.cause as { body: unknown }).body).toEqual({ data: [{ id: '1', name: 'A Page', access_token: '***' }] });
  });

  it('returns status, headers and the usage of the response from request()', async () => {
    const { client } = await setup((_req, res) => sendJson(res, 200, { id: '9' }, { 'x-app-usage': '{"call_count":3,"total_time":2,"total_cputime":1}', 'facebook-api-version': 'v25.0' }));
    const res = await client.request({ method: 'GET', path: 'me', token: USER_TOKEN, schema: z.object({ id: z.string() }) });
    expect(res.data).toEqual({ id: '9' });
    expect(res.status).toBe(200);
    expect(res.headers['facebook-api-version']).toBe('v25.0');
    expect(res.usage.app).toEqual({ callCount: 3, totalTime: 2, totalCputime: 1 });
    expect(client.usage().app?.callCount).toBe(3);
  });

  it('reuses one keep-alive connection for calls to the same origin', async () => {
    const { stub, client } = await setup((_req, res) => sendJson(res, 200, { id: '1' }), { connections: 1 });
    for (let i = 0; i < 5; i++) await client.get('me', {}, { token: USER_TOKEN });
    const ports = new Set(stub.requests.map((r) => r.remotePort));
    expect(stub.requests).toHaveLength(5);
    expect(ports.size).toBe(1);
  });
});
