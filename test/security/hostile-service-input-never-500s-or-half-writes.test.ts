/**
 * Webhook bodies and signatures, signed_request values, and REST ids and bodies
 * (random bytes, unicode, SQL metacharacters, oversized) never crash the service, never get a
 * 500, always get a coded error when refused, and a refused request writes nothing: every
 * table's row count is the same after it.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PageKeeperError } from '../../src/errors.js';
import { parseSignedRequest, makeSignedRequest } from '../../src/service/security/parse-signed-request.js';
import { signBody } from '../../src/service/security/verify-webhook-signature.js';
import type { PageKeeper } from '../../src/pagekeeper.js';
import { startService, type Harness } from '../service/service-harness.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const RUNS = SOAK ? 1000 : 60;
const TABLES = ['users', 'pages', 'page_tokens', 'audit_log', 'outbox', 'conversations', 'api_keys', 'notifications', 'data_deletions'];

async function rowCounts(pk: PageKeeper): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(pk.context.store.db);
    out[t] = Number(r.rows[0]!.n);
  }
  return out;
}

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom("1' OR '1'='1", "'; DROP TABLE page_tokens; --", '%00', '../../../etc/passwd', '\u202e\u0000\ud800', '{"$gt":""}', '<script>alert(1)</script>', '1e309', '-1', ''),
  fc.nat({ max: 20_000 }).map((n) => '9'.repeat(n)),
);

/** Lone surrogates cannot be URL-encoded; a client could not send them either. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udfff]/g, '\ufffd');

/** Status and body of a refusal: never 500, always a PK code in JSON bodies. */
function expectCodedRefusal(status: number, body: string, contentType: unknown) {
  expect(status).not.toBe(500);
  if (status >= 400 && String(contentType).includes('json')) expect(JSON.parse(body).error.code).toMatch(/^PK_[A-Z_]+$/);
}

describe('webhooks', () => {
  it('random bodies with random, wrong or right signatures: 200 only when signed and well-formed, nothing written otherwise', async () => {
    const h = await startService();
    await h.connectFirstUser();
    const secret = h.emu.appSecret;
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'grapheme' }).map((s) => Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: s, time: 1, messaging: [{ sender: { id: s }, message: { text: s } }] }] }))),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    );
    const signature = fc.constantFrom('none', 'random', 'wrong-secret', 'right', 'right-uppercase', 'right-other-body');
    await fc.assert(
      fc.asyncProperty(body, signature, hostileText, async (raw, how, junk) => {
        const before = await rowCounts(h.pk);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (how === 'random') headers['x-hub-signature-256'] = junk.replace(/[^\x20-\x7e]/g, '').slice(0, 2000);
        if (how === 'wrong-secret') headers['x-hub-signature-256'] = signBody(raw, 'not-the-app-secret');
        if (how === 'right') headers['x-hub-signature-256'] = signBody(raw, secret);
        if (how === 'right-uppercase') headers['x-hub-signature-256'] = signBody(raw, secret).toUpperCase().replace('SHA256=', 'sha256=');
        if (how === 'right-other-body') headers['x-hub-signature-256'] = signBody(Buffer.concat([raw, Buffer.from(' ')]), secret);
        const res = await h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers, payload: raw });
        expectCodedRefusal(res.statusCode, res.body, res.headers['content-type']);
        const signed = how === 'right' || how === 'right-uppercase';
        if (!signed) expect(res.statusCode).toBeOneOf([401, 403]);
        if (res.statusCode !== 200) expect(await rowCounts(h.pk)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
    // Oversized: refused before any work.
    const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
    const res = await h.server.app.inject({ method: 'POST', url: '/webhooks/messenger', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(huge, secret) }, payload: huge });
    expect(res.statusCode).toBe(413);
  }, 60_000);

  it('hub.verify_token and hub.challenge of any shape never echo anything but a plain challenge', async () => {
    const h = await startService();
    await fc.assert(
      fc.asyncProperty(hostileText, hostileText, async (token, challenge) => {
        const q = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': challenge });
        const res = await h.server.app.inject({ method: 'GET', url: `/webhooks/messenger?${q}` });
        expect(res.statusCode).toBe(403);
        expect(res.body).toBe('Forbidden');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('signed_request', () => {
  it('any value parses or fails with PK_SIGNED_REQUEST_INVALID; a forged one never parses', () => {
    const secret = randomBytes(16).toString('hex');
    const value = fc.oneof(
      hostileText,
      fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}.${b}`),
      fc.jsonValue().map((p) => makeSignedRequest({ payload: p } as Record<string, unknown>, secret)),
      fc.record({ user_id: fc.oneof(fc.string(), fc.integer(), fc.constant('123')), algorithm: fc.constantFrom('HMAC-SHA256', 'hmac-sha256', 'none', 'RS256'), issued_at: fc.oneof(fc.integer(), fc.string()) }, { requiredKeys: [] }).map((p) => makeSignedRequest(p, secret)),
      fc.anything(),
    );
    fc.assert(
      fc.property(value, fc.boolean(), (v, forge) => {
        const withSecret = forge ? 'another-secret-entirely' : secret;
        try {
          const r = parseSignedRequest(v, withSecret);
          expect(forge).toBe(false);
          expect(r.userId).toMatch(/^\d{1,30}$/);
        } catch (e) {
          expect(e).toBeInstanceOf(PageKeeperError);
          expect((e as PageKeeperError).code).toBe('PK_SIGNED_REQUEST_INVALID');
          expect((e as PageKeeperError).message).not.toContain(secret);
        }
      }),
      { numRuns: SOAK ? 5000 : 500 },
    );
  });

  it('the deauthorize and data-deletion callbacks refuse hostile values with a code and write nothing', async () => {
    const h = await startService();
    await h.connectFirstUser();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/facebook/deauthorize', '/facebook/data-deletion'), hostileText, fc.boolean(), async (url, v, asJson) => {
        const before = await rowCounts(h.pk);
        const res = asJson
          ? await h.server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ signed_request: v }) })
          : await h.server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `signed_request=${encodeURIComponent(wellFormed(v))}` });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expectCodedRefusal(res.statusCode, res.body, res.headers['content-type']);
        expect(await rowCounts(h.pk)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the REST API', () => {
  it('random ids and bodies never get a 500, refusals are coded, and refused requests write nothing', async () => {
    const h: Harness = await startService();
    const pageIds = await h.connectFirstUser();
    const key = await h.key(['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'events:read']);
    const id = fc.oneof(hostileText, fc.constantFrom(...pageIds), fc.constantFrom('0', '000000000000000000000000000000001', '1'.repeat(33)));
    const route = fc.constantFrom('GET /v1/pages/{id}', 'GET /v1/pages/{id}/token', 'POST /v1/pages/{id}/check', 'POST /v1/pages/{id}/messages', 'GET /v1/messages/{id}');
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ recipient: fc.record({ id: hostileText }), message: fc.record({ text: hostileText }), messaging_type: fc.oneof(fc.constant('RESPONSE'), hostileText), tag: hostileText }, { requiredKeys: [] }),
      hostileText,
    );
    await fc.assert(
      fc.asyncProperty(route, id, body, fc.option(hostileText), async (r, rawId, payload, idempotencyKey) => {
        const [method, path] = r.split(' ') as ['GET' | 'POST', string];
        const url = path.replace('{id}', encodeURIComponent(wellFormed(rawId)));
        const before = await rowCounts(h.pk);
        const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey.replace(/[^\x20-\x7e]/g, '').slice(0, 4000) || 'k';
        const res = await h.server.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) });
        expectCodedRefusal(res.statusCode, res.body, res.headers['content-type']);
        if (res.statusCode >= 400) expect(await rowCounts(h.pk), `${method} ${url} -> ${res.statusCode}`).toEqual(before);
      }),
      { numRuns: SOAK ? 1000 : 150 },
    );
    // What the router refuses before any route runs: a broken %-escape, a 20,000-digit id.
    for (const url of ['/v1/pages/%E0%A4%A', `/v1/pages/${'9'.repeat(20_000)}`, `/v1/pages/${'9'.repeat(101)}/token`]) {
      const res = await h.server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode, url.slice(0, 40)).toBeOneOf([400, 404, 414]);
      expect(res.json().error.code, url.slice(0, 40)).toMatch(/^PK_[A-Z_]+$/);
    }
  }, 60_000);
});
