import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
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
  const sleeps = recordSleeps();
  const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET, sleep: sleeps.sleep, random: () => 0.5, ...extra });
  clients.push(client);
  return { stub, client, waits: sleeps.waits };
}

const temporary = { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1, fbtrace_id: 'A1' } };
const meSchema = z.object({ id: z.string() });

describe('retrying Graph calls', () => {
  it('retries a GET after transient errors and returns the eventual answer', async () => {
    const { stub, client, waits } = await setup((_req, res, n) => (n < 3 ? sendJson(res, 500, temporary) : sendJson(res, 200, { id: '42' })));
    await expect(client.get('me', {}, { token: USER_TOKEN, schema: meSchema })).resolves.toEqual({ id: '42' });
    expect(stub.requests).toHaveLength(3);
    // Full jitter with random()=0.5 over 200 ms, then 400 ms.
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const { stub, client } = await setup((_req, res) => sendJson(res, 500, temporary), { maxRetries: 2 });
    const err = await failure(client.get('me', {}, { token: USER_TOKEN }));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe(1);
    expect(stub.requests).toHaveLength(3);
  });

  it('does not retry a POST that reached Facebook (a Send API message would go out twice)', async () => {
    const { stub, client } = await setup((_req, res) => sendJson(res, 500, temporary));
    const err = await failure(client.post('1/messages', { recipient: { id: '2' } }, { token: USER_TOKEN }));
    expect(err.delivery).toBe('answered');
    expect(stub.requests).toHaveLength(1);
  });

  it('retries a POST whose connection was refused, since it never reached Facebook', async () => {
    const dead = await startStub(() => {});
    await dead.stop();
    const sleeps = recordSleeps();
    const client = createGraphClient({ graphUrl: dead.url, appId: APP_ID, appSecret: APP_SECRET, sleep: sleeps.sleep, random: () => 0, maxRetries: 2 });
    clients.push(client);
    const err = await failure(client.post('1/messages', { recipient: { id: '2' } }, { token: USER_TOKEN }));
    expect(err.pkCode).toBe('PK_GRAPH_UNREACHABLE');
    expect(err.delivery).toBe('not_sent');
    expect(sleeps.waits).toHaveLength(2);
  });

  it('waits as long as X-Business-Use-Case-Usage says before retrying a throttled call', async () => {
    const usage = JSON.stringify({ '111': [{ type: 'pages', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: 1 }] });
    const { client, waits } = await setup((_req, res, n) =>
      n === 1
        ? sendJson(res, 400, { error: { message: '(#80001) There have been too many calls to this Page account.', type: 'OAuthException', code: 80001, fbtrace_id: 'B' } }, { 'x-business-use-case-usage': usage })
        : sendJson(res, 200, { id: '111' }),
    );
    await expect(client.get('111', {}, { token: USER_TOKEN, schema: meSchema })).resolves.toEqual({ id: '111' });
    expect(waits).toEqual([60_000]);
    expect(client.usage().pages['111']?.[0]?.estimatedTimeToRegainAccessMinutes).toBe(1);
  });

  it('hands a throttling error with a long wait to the caller instead of sleeping through it', async () => {
    const { stub, client, waits } = await setup((_req, res) =>
      sendJson(res, 400, { error: { message: 'It looks like you were misusing this feature by going too fast.', type: 'OAuthException', code: 368, error_subcode: 1390008 } }),
    );
    const err = await failure(client.get('me', {}, { token: USER_TOKEN }));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(60 * 60_000);
    expect(waits).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it('never retries an invalid token', async () => {
    const { stub, client } = await setup((_req, res) =>
      sendJson(res, 400, { error: { message: 'Error validating access token: Session has expired on Tuesday.', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: 'C' } }),
    );
    const err = await failure(client.get('me', {}, { token: USER_TOKEN }));
    expect(err.kind).toBe('token_invalid');
    expect(err.tokenReason).toBe('expired');
    expect(err.fbtraceId).toBe('C');
    expect(stub.requests).toHaveLength(1);
  });

  it('does not retry when the caller turns retries off, and stops waiting when the caller aborts', async () => {
    const { stub, client } = await setup((_req, res) => sendJson(res, 503, temporary));
    await failure(client.get('me', {}, { token: USER_TOKEN, retry: false }));
    expect(stub.requests).toHaveLength(1);

    const ac = new AbortController();
    const aborting = createGraphClient({
      graphUrl: stub.url,
      appId: APP_ID,
      appSecret: APP_SECRET,
      sleep: async () => {
        ac.abort(new Error('stop'));
      },
    });
    clients.push(aborting);
    await expect(aborting.get('me', {}, { token: USER_TOKEN, signal: ac.signal })).rejects.toThrow('stop');
    expect(stub.requests).toHaveLength(2);
  });
});
