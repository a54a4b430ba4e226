/**
 * Tenants, Page-scoped keys, connect links, per-tenant events, the Graph proxy and the typed
 * client, end to end over 127.0.0.1 against the emulator.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createClient, PageKeeperClientError } from '../../src/client/index.js';
import { verifyBodySignature } from '../../src/notify/sign-body.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import type { Scope } from '../../src/service/api-keys/scopes.js';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { outboxPortOf } from '../../src/service/service-extensions.js';
import { createTenantRegistry } from '../../src/service/tenants/tenant-registry.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { generateClientTypes } from '../../scripts/generate-client-types.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEmulator } from '../helpers/emulator.js';

const RETURN_ORIGIN = 'http://127.0.0.1:9';

async function world() {
  const emu = await startTestEmulator();
  const keys = generateKeyEntry('t1');
  // Everything the service and the library log, at debug level, to grep for secrets.
  const lines: string[] = [];
  const logger = createServiceLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: 'sqlite::memory:', keys, graphUrl: emu.url, dialogUrl: emu.dialogUrl, logger });
  const settings = { publicUrl: 'http://127.0.0.1:1', verifyToken: 'verify-me', adminKey: undefined, forwardUrl: undefined, notifyWebhookSecret: undefined, keys, devOpenDashboard: false };
  const deps = createServiceDeps(pk, settings, { apiKeys: { cacheTtlMs: 0 }, outbox: outboxPortOf(pk) });
  deps.config.returnOrigins = [RETURN_ORIGIN];
  const tenants = createTenantRegistry({ root: pk, rootDeps: deps, database: 'sqlite::memory:', keys, settings, workers: false, syncEveryMs: 0, returnOrigins: [RETURN_ORIGIN] });
  deps.tenants = tenants;
  const server = await buildServer(deps, { logger });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  deps.config.publicUrl = base;
  await tenants.start();
  onTestFinished(async () => {
    await server.shutdown(2000);
    await tenants.close(2000);
    await pk.close();
    await emu.close();
  });
  const key = async (scopes: Scope[], tenantId: string | null = null, pageIds: string[] | null = null) => (await deps.apiKeys.create({ name: 't', scopes, tenantId, pageIds })).key;
  const api = (k: string, method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${k}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { emu, pk, deps, tenants, server, base, key, api, logs: () => lines.join('') };
}

/** Opens a connect link as this emulator user, consents, and follows the callback; returns where the browser ends up. */
async function connectThroughLink(base: string, link: string, userId: string, action: 'continue' | 'cancel' = 'continue'): Promise<URL> {
  const start = await fetch(link, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  const dialog = await fetch(`${start.headers.get('location')!}&as=${userId}`);
  const html = await dialog.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1]!, m[2]!.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&'));
  for (const m of html.matchAll(/name="page" value="([^"]+)"/g)) form.append('page', m[1]!);
  form.append('action', action);
  const confirmUrl = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), dialog.url);
  const back = await fetch(confirmUrl, { method: 'POST', body: form, redirect: 'manual' });
  const callback = back.headers.get('location')!;
  expect(callback.startsWith(`${base}/oauth/callback?`)).toBe(true);
  const done = await fetch(callback, { headers: { cookie }, redirect: 'manual' });
  expect(done.status).toBe(303);
  return new URL(done.headers.get('location')!);
}

/** A 127.0.0.1 receiver for forwarded events. */
async function receiver() {
  const got: Array<{ body: string; signature: string | undefined }> = [];
  const srv = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-pagekeeper-signature'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/events`, got };
}

describe('tenants', () => {
  it('two tenants connecting the same Page through connect links never see each other\'s Pages, tokens, events or messages', async () => {
    const w = await world();
    const alice = w.emu.users[0]!;
    const shared = alice.pages[0]!.id;
    const bob = await w.emu.control.createUser({ name: 'Bob', pages: [{ id: shared }] });
    const admin = await w.key(['tenants:admin', 'connect:write']);
    for (const [id, name] of [['acme', 'Acme'], ['globex', 'Globex']]) expect((await w.api(admin, 'POST', '/v1/tenants', { id, name })).status).toBe(201);
    expect((await w.api(admin, 'POST', '/v1/tenants', { id: 'acme', name: 'again' })).status).toBe(409);

    const hooks = { acme: await receiver(), globex: await receiver() };
    const secrets: Record<string, string> = {};
    for (const t of ['acme', 'globex'] as const) {
      const r = await w.api(admin, 'PUT', `/v1/tenants/${t}/webhooks`, { forwardUrl: hooks[t].url });
      expect(r.status).toBe(200);
      secrets[t] = ((await r.json()) as { secret: string }).secret;
    }

    // The signing secrets are stored encrypted, never as plaintext.
    const tenantRows = JSON.stringify(await w.pk.context.store.db.selectFrom('tenants').selectAll().execute());
    for (const secret of Object.values(secrets)) expect(tenantRows).not.toContain(secret);

    // Acme's customer is Alice, Globex's is Bob; both manage the shared Page.
    const sessions: Record<string, string> = {};
    for (const [t, user] of [['acme', alice.id], ['globex', bob.id]] as const) {
      const r = await w.api(admin, 'POST', '/v1/connect-sessions', { tenantId: t, returnUrl: `${RETURN_ORIGIN}/done?x=1` });
      expect(r.status).toBe(201);
      const link = (await r.json()) as { id: string; url: string; expiresAt: string };
      expect(new Date(link.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
      const back = await connectThroughLink(w.base, link.url, user);
      expect(back.origin).toBe(RETURN_ORIGIN);
      expect(back.searchParams.get('x')).toBe('1');
      expect(back.searchParams.get('status')).toBe('success');
      sessions[t] = back.searchParams.get('connect_session')!;
      expect(sessions[t]).toBe(link.id);
      // Single use: the same link again is refused.
      expect((await fetch(link.url, { redirect: 'manual' })).status).toBe(410);
    }
    const acmeSession = (await (await w.api(admin, 'GET', `/v1/connect-sessions/${sessions.acme}`)).json()) as { status: string; result: { pagesGained: string[] } };
    expect(acmeSession.status).toBe('success');
    expect(acmeSession.result.pagesGained).toContain(shared);

    const acmeKey = await w.key(['pages:read', 'tokens:read', 'events:read', 'connect:write'], 'acme');
    const globexKey = await w.key(['pages:read', 'tokens:read', 'events:read', 'connect:write'], 'globex');
    const pagesOf = async (k: string) => ((await (await w.api(k, 'GET', '/v1/pages')).json()) as { pages: Array<{ id: string; tokens: Array<{ userId: string }> }> }).pages;
    const acmePages = await pagesOf(acmeKey);
    const globexPages = await pagesOf(globexKey);
    expect(acmePages.map((p) => p.id).sort()).toEqual(alice.pages.map((p) => p.id).sort());
    expect(globexPages.map((p) => p.id)).toEqual([shared]);
    // The shared Page is held separately: each tenant has only its own customer's token.
    expect(acmePages.find((p) => p.id === shared)!.tokens.map((t) => t.userId)).toEqual([alice.id]);
    expect(globexPages[0]!.tokens.map((t) => t.userId)).toEqual([bob.id]);
    // The default tenant (admin keys) holds none of them.
    expect(await pagesOf(await w.key(['pages:read']))).toEqual([]);
    const tokenOf = async (k: string, id: string) => ((await (await w.api(k, 'GET', `/v1/pages/${id}/token`)).json()) as { accessToken: string }).accessToken;
    expect(await tokenOf(acmeKey, shared)).not.toBe(await tokenOf(globexKey, shared));
    const alicesOther = alice.pages.find((p) => p.id !== shared);
    if (alicesOther) expect((await w.api(globexKey, 'GET', `/v1/pages/${alicesOther.id}/token`)).status).toBe(404);

    // Another tenant's session and tenant are unknown, not forbidden.
    expect((await w.api(globexKey, 'GET', `/v1/connect-sessions/${sessions.acme}`)).status).toBe(404);
    expect((await w.api(globexKey, 'POST', '/v1/connect-sessions', { tenantId: 'acme', returnUrl: `${RETURN_ORIGIN}/` })).status).toBe(404);

    // connect.completed went to each tenant's own URL, signed with its own secret.
    await expect.poll(() => hooks.acme.got.length + hooks.globex.got.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    for (const t of ['acme', 'globex'] as const) {
      for (const d of hooks[t].got) {
        expect(verifyBodySignature(d.body, secrets[t]!, d.signature)).toBe(true);
        expect(verifyBodySignature(d.body, secrets[t === 'acme' ? 'globex' : 'acme']!, d.signature)).toBe(false);
        expect(JSON.parse(d.body)).toMatchObject({ tenantId: t });
      }
    }

    // A message to one of Alice's other Pages reaches Acme only (its events, its window).
    const acmeEvents = new AbortController();
    const globexEvents = new AbortController();
    onTestFinished(() => {
      acmeEvents.abort();
      globexEvents.abort();
    });
    const stream = async (k: string, ac: AbortController) => {
      const res = await fetch(`${w.base}/v1/events`, { headers: { authorization: `Bearer ${k}` }, signal: ac.signal });
      const reader = res.body!.getReader();
      let text = '';
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            text += Buffer.from(value).toString('utf8');
          }
        } catch {
          // aborted at the end of the test
        }
      })();
      return () => text;
    };
    const acmeStream = await stream(acmeKey, acmeEvents);
    const globexStream = await stream(globexKey, globexEvents);
    await w.emu.control.setWebhook({ url: `${w.base}/webhooks/messenger`, verifyToken: 'verify-me' });
    if (alicesOther) {
      hooks.globex.got.length = 0;
      await w.emu.control.inbound(alicesOther.id, { text: 'only for acme', psid: '7001' });
      await expect.poll(() => acmeStream(), { timeout: 5000 }).toContain('only for acme');
      await expect.poll(() => hooks.acme.got.some((d) => d.body.includes('only for acme')), { timeout: 5000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(globexStream()).not.toContain('only for acme');
      expect(hooks.globex.got.some((d) => d.body.includes('only for acme'))).toBe(false);
      // Globex's partition never learns of a person writing to a Page it does not hold.
      expect(await w.tenants.loaded('globex')!.pk.context.store.conversations.lastInboundAt(alicesOther.id, '7001')).toBeNull();
      await expect.poll(() => w.tenants.loaded('acme')!.pk.context.store.conversations.lastInboundAt(alicesOther.id, '7001'), { timeout: 5000 }).not.toBeNull();
    }
    // A message to the shared Page reaches both, each with its own copy.
    await w.emu.control.inbound(shared, { text: 'for both', psid: '7002' });
    await expect.poll(() => acmeStream(), { timeout: 5000 }).toContain('for both');
    await expect.poll(() => globexStream(), { timeout: 5000 }).toContain('for both');
    expect(acmeStream()).not.toContain('connect_session":"' + sessions.globex);
    expect(globexStream()).not.toContain(sessions.acme!);

    // Deleting a tenant removes its Pages and tokens; its keys stop working.
    expect((await w.api(admin, 'DELETE', '/v1/tenants/globex')).status).toBe(200);
    expect((await w.api(globexKey, 'GET', '/v1/pages')).status).toBe(401);
    expect((await pagesOf(acmeKey)).map((p) => p.id)).toContain(shared);
  });

  it('a Page-scoped key is refused other Pages with 404, exactly like a Page that does not exist', async () => {
    const w = await world();
    const alice = w.emu.users[0]!;
    expect(alice.pages.length).toBeGreaterThanOrEqual(2);
    const [mine, other] = [alice.pages[0]!.id, alice.pages[1]!.id];
    const admin = await w.key(['tenants:admin', 'connect:write']);
    await w.api(admin, 'POST', '/v1/tenants', { id: 'acme', name: 'Acme' });
    const link = (await (await w.api(admin, 'POST', '/v1/connect-sessions', { tenantId: 'acme', returnUrl: `${RETURN_ORIGIN}/` })).json()) as { url: string };
    await connectThroughLink(w.base, link.url, alice.id);
    const scoped = await w.key(['pages:read', 'tokens:read', 'pages:check', 'messages:write', 'graph:proxy'], 'acme', [mine]);
    expect((await w.api(scoped, 'GET', `/v1/pages/${mine}`)).status).toBe(200);
    const list = ((await (await w.api(scoped, 'GET', '/v1/pages')).json()) as { pages: Array<{ id: string }> }).pages;
    expect(list.map((p) => p.id)).toEqual([mine]);
    const unknown = await w.api(scoped, 'GET', '/v1/pages/99999999999');
    for (const [method, path, body] of [
      ['GET', `/v1/pages/${other}`],
      ['GET', `/v1/pages/${other}/token`],
      ['POST', `/v1/pages/${other}/check`],
      ['POST', `/v1/pages/${other}/messages`, { recipient: { id: '1' }, messaging_type: 'RESPONSE', message: { text: 'x' } }],
      ['GET', `/v1/pages/${other}/graph/${other}`],
      ['POST', `/v1/pages/${other}/token-failures`, { code: 190 }],
    ] as const) {
      const r = await w.api(scoped, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('PK_PAGE_NOT_FOUND');
    }
    expect(unknown.status).toBe(404);
  });

  it('a returnUrl outside PAGEKEEPER_RETURN_ORIGINS is refused, and nothing is created', async () => {
    const w = await world();
    const admin = await w.key(['tenants:admin', 'connect:write']);
    await w.api(admin, 'POST', '/v1/tenants', { id: 'acme', name: 'Acme' });
    for (const returnUrl of ['https://evil.example/done', 'http://127.0.0.1:10/', `${RETURN_ORIGIN}@evil.example/`, 'javascript:alert(1)', '/relative']) {
      const r = await w.api(admin, 'POST', '/v1/connect-sessions', { tenantId: 'acme', returnUrl });
      expect(r.status, returnUrl).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toMatch(/^PK_(RETURN_URL_NOT_ALLOWED|VALIDATION)$/);
    }
    expect(await w.pk.context.store.db.selectFrom('connect_sessions').selectAll().execute()).toEqual([]);
    // A cancelled Login returns with status=cancelled.
    const link = (await (await w.api(admin, 'POST', '/v1/connect-sessions', { tenantId: 'acme', returnUrl: `${RETURN_ORIGIN}/` })).json()) as { url: string };
    const back = await connectThroughLink(w.base, link.url, w.emu.users[0]!.id, 'cancel');
    expect(back.searchParams.get('status')).toBe('cancelled');
  });
});

describe('the Graph proxy', () => {
  it('fails over to a second admin\'s token when the first dies mid-call, and says so', async () => {
    const w = await world();
    const alice = w.emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const bob = await w.emu.control.createUser({ name: 'Bob', pages: [{ id: pageId }] });
    await w.pk.connect(alice.shortLivedToken);
    await w.pk.connect(bob.shortLivedToken);
    const k = await w.key(['graph:proxy', 'pages:read']);
    const token = await w.pk.page(pageId).token();
    await w.emu.control.event(alice.id, 'password_changed');
    const r = await w.api(k, 'GET', `/v1/pages/${pageId}/graph/${pageId}?fields=id,name`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-pagekeeper-token-failover')).toBe('true');
    const text = await r.text();
    expect(JSON.parse(text)).toMatchObject({ id: pageId });
    expect(text).not.toContain(token);
    const page = ((await (await w.api(k, 'GET', `/v1/pages/${pageId}`)).json()) as { tokens: Array<{ userId: string; status: string; invalidReason: string | null }> }).tokens;
    expect(page.find((t) => t.userId === alice.id)).toMatchObject({ status: 'invalid', invalidReason: 'password_changed' });
    // The caller cannot smuggle a token in.
    expect((await w.api(k, 'GET', `/v1/pages/${pageId}/graph/${pageId}?access_token=x`)).status).toBe(400);
    const metrics = await (await fetch(`${w.base}/metrics`)).text();
    expect(metrics).not.toContain(token);
    expect(w.logs()).toContain(`/v1/pages/${pageId}/graph/`);
    expect(w.logs()).not.toContain(token);
    expect(w.logs()).not.toContain((await w.pk.context.store.pageTokens.getFirstValidToken(pageId))!.token);
  });

  it('a reported token failure invalidates the token in use at once', async () => {
    const w = await world();
    const alice = w.emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const bob = await w.emu.control.createUser({ name: 'Bob', pages: [{ id: pageId }] });
    await w.pk.connect(alice.shortLivedToken);
    await w.pk.connect(bob.shortLivedToken);
    const k = await w.key(['tokens:read']);
    const before = ((await (await w.api(k, 'GET', `/v1/pages/${pageId}/token`)).json()) as { accessToken: string }).accessToken;
    const r = await w.api(k, 'POST', `/v1/pages/${pageId}/token-failures`, { code: 190, subcode: 460 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ invalidated: true, page: { id: pageId, validTokens: 1 } });
    const after = ((await (await w.api(k, 'GET', `/v1/pages/${pageId}/token`)).json()) as { accessToken: string }).accessToken;
    expect(after).not.toBe(before);
    expect((await w.api(k, 'POST', `/v1/pages/${pageId}/token-failures`, { code: 4 })).status).toBe(400);
  });
});

describe('the typed client and /openapi.json', () => {
  it('lists Pages and sends a message through the proxy', async () => {
    const w = await world();
    const alice = w.emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    await w.pk.connect(alice.shortLivedToken);
    await w.emu.control.inbound(pageId, { text: 'hello', psid: '8001' });
    const client = createClient({ url: w.base, key: await w.key(['pages:read', 'graph:proxy']) });
    const pages = await client.listPages();
    expect(pages.map((p) => p.id).sort()).toEqual(alice.pages.map((p) => p.id).sort());
    const sent = await client.graph<{ message_id: string }>(pageId, 'POST', `${pageId}/messages`, { body: { recipient: { id: '8001' }, messaging_type: 'RESPONSE', message: { text: 'via proxy' } } });
    expect(sent.status).toBe(200);
    expect(sent.body.message_id).toBeTruthy();
    expect((await w.emu.control.sentMessages(pageId)).some((m) => JSON.stringify(m).includes('via proxy'))).toBe(true);
    await expect(client.getPage('123456789')).rejects.toBeInstanceOf(PageKeeperClientError);
    await expect(client.getPage('123456789')).rejects.toMatchObject({ status: 404, code: 'PK_PAGE_NOT_FOUND' });
  });

  it('/openapi.json passes a standard validator, documents every scope and the proxy, and the committed client types are current', async () => {
    const w = await world();
    const doc = (await (await fetch(`${w.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-scope'?: string }>> };
    await SwaggerParser.validate(structuredClone(doc) as never);
    const scopes = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o['x-scope'])));
    for (const s of ['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'tenants:admin', 'connect:write', 'graph:proxy']) expect(scopes).toContain(s);
    expect(doc.paths['/v1/pages/{id}/graph/{path}']).toBeDefined();
    expect(doc.paths['/v1/connect-sessions']).toBeDefined();
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'client', 'openapi-types.ts'), 'utf8');
    expect(committed).toBe(await generateClientTypes());
  });
});
