import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('the REST API', () => {
  it('lists pages and hands out a never-expiring token to a key with the right scopes', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const key = await h.key(['pages:read', 'tokens:read']);

    const list = await h.server.app.inject({ url: '/v1/pages', headers: auth(key) });
    expect(list.statusCode).toBe(200);
    const pages = list.json().pages as Array<{ id: string; tokenExpiresAt: string; status: string }>;
    expect(pages.map((p) => p.id)).toContain(pageId);
    expect(pages[0]!.tokenExpiresAt).toBe('never');
    expect(list.body).not.toMatch(/EAA/);

    const token = await h.server.app.inject({ url: `/v1/pages/${pageId}/token`, headers: auth(key) });
    expect(token.statusCode).toBe(200);
    expect(token.json()).toEqual({ pageId, accessToken: await h.pk.page(pageId!).token() });
    expect(token.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['no Authorization header', undefined, 401, 'PK_UNAUTHORIZED'],
    ['a wrong key', 'pk_' + 'A'.repeat(43), 401, 'PK_UNAUTHORIZED'],
    ['a malformed header', 'Basic abc', 401, 'PK_UNAUTHORIZED'],
    ['a key without tokens:read', 'pages-only', 403, 'PK_FORBIDDEN'],
    ['a revoked key', 'revoked', 401, 'PK_UNAUTHORIZED'],
  ] as const)('refuses a token request with %s', async (_name, given, status, code) => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    let header: string | undefined = given;
    if (given === 'pages-only') header = `Bearer ${await h.key(['pages:read'])}`;
    else if (given === 'revoked') {
      const created = await h.deps.apiKeys.create({ name: 'old', scopes: ['tokens:read'] });
      await h.deps.apiKeys.revoke(created.id);
      header = `Bearer ${created.key}`;
    } else if (given?.startsWith('pk_')) header = `Bearer ${given}`;
    const res = await h.server.app.inject({ url: `/v1/pages/${pageId}/token`, headers: header ? { authorization: header } : {} });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.body).not.toMatch(/EAA/);
  });

  it.each([
    ['an unknown page', '/v1/pages/999999999999999', 404, 'PK_PAGE_NOT_FOUND'],
    ['a non-numeric id', '/v1/pages/abc', 400, 'PK_VALIDATION'],
    ['SQL in the id', `/v1/pages/${encodeURIComponent("1' OR '1'='1")}`, 400, 'PK_VALIDATION'],
    ['an unknown route', '/v1/nope', 404, 'PK_NOT_FOUND'],
  ])('answers %s with a coded error', async (_name, url, status, code) => {
    const h = await startService();
    const res = await h.server.app.inject({ url, headers: auth(await h.key(['pages:read'])) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it('refuses bad message bodies before needing an outbox, and answers 503 without one', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    const post = (payload: string, headers: Record<string, string> = {}) =>
      h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/messages`, headers: { ...auth(key), 'content-type': 'application/json', ...headers }, payload });

    expect((await post('{"recipient":')).json().error.code).toBe('PK_VALIDATION');
    const noRecipient = await post('{"message":{"text":"hi"}}');
    expect([noRecipient.statusCode, noRecipient.json().error.code]).toEqual([400, 'PK_VALIDATION']);
    const both = await post('{"recipient":{"id":"1"},"message":{"text":"hi"},"sender_action":"typing_on"}');
    expect([both.statusCode, both.json().error.code]).toEqual([400, 'PK_MESSAGE_INVALID']);
    const badKey = await post('{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}', { 'idempotency-key': 'x'.repeat(300) });
    expect(badKey.statusCode).toBe(400);
    const big = await post(JSON.stringify({ recipient: { id: '1' }, message: { text: 'x'.repeat(2 * 1024 * 1024) } }));
    expect([big.statusCode, big.json().error.code]).toEqual([413, 'PK_BODY_TOO_LARGE']);
    const ok = await post('{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}');
    expect([ok.statusCode, ok.json().error.code, ok.json().error.message]).toEqual([503, 'PK_INTERNAL', 'Internal error: outbox not configured']);
  });

  it('queues through the outbox it is given, passing the idempotency key', async () => {
    const calls: unknown[] = [];
    const h = await startService(
      {},
      {
        outbox: {
          enqueue: async (pageId, body, o) => (calls.push({ pageId, body, o }), { id: 'msg_1', status: 'queued', duplicate: false }),
          get: async (id) => (id === 'msg_1' ? { id, pageId: '1', psid: '2', status: 'sent', attempts: 1, messageId: 'm_1', error: null, createdAt: new Date(0), updatedAt: new Date(0), sentAt: new Date(0) } : undefined),
        },
      },
    );
    const [pageId] = await h.connectFirstUser();
    const key = await h.key(['messages:write']);
    const body = { recipient: { id: '42' }, messaging_type: 'RESPONSE', message: { text: 'grüß dich' } };
    const res = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/messages`, headers: { ...auth(key), 'idempotency-key': 'order-7' }, payload: body });
    expect([res.statusCode, res.json()]).toEqual([202, { id: 'msg_1', status: 'queued', duplicate: false }]);
    // The key goes with the calling API key's id, which scopes it (keys of other callers never meet).
    const keyId = (await h.deps.apiKeys.list()).at(-1)?.id;
    expect(calls).toEqual([{ pageId, body, o: { idempotencyKey: 'order-7', idempotencyScope: `api_key:${keyId}` } }]);
    expect((await h.server.app.inject({ url: '/v1/messages/msg_1', headers: auth(key) })).json().status).toBe('sent');
    expect((await h.server.app.inject({ url: '/v1/messages/msg_2', headers: auth(key) })).statusCode).toBe(404);
  });

  it('checks a page on demand with pages:check only', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const denied = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/check`, headers: auth(await h.key(['pages:read'])) });
    expect(denied.statusCode).toBe(403);
    await h.emu.control.event(h.emu.users[0]!.id, 'password_changed');
    const res = await h.server.app.inject({ method: 'POST', url: `/v1/pages/${pageId}/check`, headers: auth(await h.key(['pages:check'])) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: pageId, status: 'needs_reauth' });
    expect(res.json().lastCheckedAt).not.toBeNull();
  });

  it('slows down failed keys after many failures (429 with Retry-After), never the valid ones', async () => {
    const h = await startService({}, { maxAuthFailures: 3 });
    for (let i = 0; i < 3; i++) expect((await h.server.app.inject({ url: '/v1/pages', headers: auth('nope') })).statusCode).toBe(401);
    // A valid key is still answered (other callers' failures never lock it out); failures get 429.
    expect((await h.server.app.inject({ url: '/v1/pages', headers: auth(await h.key(['pages:read'])) })).statusCode).toBe(200);
    const res = await h.server.app.inject({ url: '/v1/pages', headers: auth('nope') });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('PK_RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('describes itself in /openapi.json from the schemas that validate requests', async () => {
    const h = await startService();
    const doc = (await h.server.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/pages', '/v1/pages/{id}', '/v1/pages/{id}/token', '/v1/pages/{id}/messages', '/v1/messages/{id}', '/v1/pages/{id}/check']));
    expect(doc.paths['/v1/pages/{id}/token'].get['x-scope']).toBe('tokens:read');
    expect(doc.paths['/v1/pages/{id}/messages'].post.requestBody.content['application/json'].schema.properties.recipient).toBeDefined();
  });

  it('never answers 500 to random ids, bodies and headers', async () => {
    const h = await startService({}, { maxAuthFailures: 1_000_000 });
    await h.connectFirstUser();
    const key = await h.key(['pages:read', 'tokens:read', 'messages:write', 'pages:check']);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.constantFrom("1'; DROP TABLE pages;--", '%00', '../..', '𝔘𝔫𝔦', '9'.repeat(40))),
        fc.constantFrom('', '/token', '/messages', '/check'),
        fc.oneof(fc.string(), fc.json()),
        fc.boolean(),
        async (id, suffix, payload, withKey) => {
          const method = suffix === '/messages' || suffix === '/check' ? 'POST' : 'GET';
          const res = await h.server.app.inject({
            method,
            url: `/v1/pages/${encodeURIComponent(id)}${suffix}`,
            headers: { ...(withKey ? auth(key) : {}), 'content-type': 'application/json' },
            ...(method === 'POST' ? { payload } : {}),
          });
          // 503 is the coded "outbox not configured"; any other 5xx would be a bug.
          expect(res.statusCode < 500 || res.statusCode === 503).toBe(true);
          expect(res.json().error?.code ?? 'ok').toMatch(/^(PK_[A-Z_]+|ok)$/);
        },
      ),
      { numRuns: 150 },
    );
  });
});
