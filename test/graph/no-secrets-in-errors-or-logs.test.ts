import { afterEach, describe, expect, it } from 'vitest';
import { appsecretProof } from '../../src/graph/appsecret-proof.js';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import { pageAccountsSchema } from '../../src/graph/schemas.js';
import { APP_ID, APP_SECRET, USER_TOKEN, captureLogger, sendJson, startStub, type StubServer } from './stub-server.js';
import { DEFAULT_GRAPH_VERSION as GRAPH_VERSION } from '../../src/config/load-config.js';

const stubs: StubServer[] = [];
const clients: GraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});

const SECRETS = [USER_TOKEN, APP_SECRET, appsecretProof(APP_SECRET, USER_TOKEN), encodeURIComponent(`${APP_ID}|${APP_SECRET}`)];

function describeError(e: unknown): string {
  const err = e as Error & Record<string, unknown>;
  return [err.message, String(err), JSON.stringify(err), JSON.stringify({ ...err }), JSON.stringify(err.cause ?? null), err.stack ?? ''].join('\n');
}

describe('no token, proof or app secret in error messages or log lines', () => {
  it('across every kind of failure', async () => {
    let origin = '';
    const stub = await startStub((req, res, n) => {
      switch (req.url.pathname) {
        // Facebook echoing the token in its message.
        case `/${GRAPH_VERSION}/echo`:
          return sendJson(res, 400, { error: { message: `Malformed access token ${USER_TOKEN}`, type: 'OAuthException', code: 190, error_user_msg: `token ${USER_TOKEN}` } });
        case `/${GRAPH_VERSION}/html`:
          res.writeHead(502, { 'content-type': 'text/html' });
          return res.end(`<html>${USER_TOKEN}</html>`);
        case `/${GRAPH_VERSION}/shape`:
          return sendJson(res, 200, { data: [{ id: '1', name: 'P', access_token: USER_TOKEN, category: 5 }] });
        case `/${GRAPH_VERSION}/hang`:
          return; // timeout
        case `/${GRAPH_VERSION}/reset`:
          return void res.socket?.destroy();
        case `/${GRAPH_VERSION}/paged`:
          return sendJson(res, 200, { data: [], paging: { next: `${n % 2 ? 'http://elsewhere.invalid' : origin}/${GRAPH_VERSION}/paged?access_token=${USER_TOKEN}` } });
        default:
          return sendJson(res, 500, { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true } });
      }
    });
    origin = stub.url;
    stubs.push(stub);
    const { lines, logger } = captureLogger();
    const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET, logger, timeoutMs: 150, sleep: async () => {} });
    clients.push(client);

    const errors: unknown[] = [];
    const attempt = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        errors.push(e);
      }
    };
    await attempt(client.get('echo', {}, { token: USER_TOKEN }));
    await attempt(client.get('html', {}, { token: USER_TOKEN }));
    await attempt(client.get('shape', {}, { token: USER_TOKEN, schema: pageAccountsSchema }));
    await attempt(client.get('hang', {}, { token: USER_TOKEN, retry: false }));
    await attempt(client.post('reset', { x: 1 }, { token: USER_TOKEN }));
    await attempt(client.get('transient', { input_token: USER_TOKEN }, { token: client.appToken() }));
    await attempt(client.get('oauth/access_token', { client_secret: APP_SECRET, fb_exchange_token: USER_TOKEN, grant_type: 'fb_exchange_token' }));
    await attempt((async () => {
      for await (const _ of client.paginate('paged', {}, { token: USER_TOKEN, itemSchema: pageAccountsSchema })) void _;
    })());

    expect(errors).toHaveLength(8);
    expect(lines.length).toBeGreaterThan(8);
    const everything = [...lines, ...errors.map(describeError)].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(`${APP_ID}|${APP_SECRET}`);
    // The log lines still say what happened.
    expect(everything).toContain('access_token=***');
    expect(everything).toContain(`/${GRAPH_VERSION}/echo`);
  });
});
