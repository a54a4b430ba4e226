/**
 * One run through the token flow, the CLI and the service, happy paths and the
 * error paths where tokens usually leak (wrong secret, expired token, invalidated page token,
 * bad webhook signature, bad signed_request, wrong API key, replayed login), collecting every
 * debug log line, every CLI output, every service response (body and headers), every error the
 * library threw (inspected with its cause chain) and the database files. Then every secret the
 * emulator and the test issued is searched in all of it: zero hits. Excepted, because handing
 * out a secret is their job: the `token` command's stdout, `/v1/pages/{id}/token` 200 bodies,
 * and `api-keys create`'s stdout (a new API key is shown once); those are checked to hold the
 * secret, which proves the search finds what it looks for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect, it, onTestFinished } from 'vitest';
import { signatureHeader, signedRequest } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper } from '../../src/pagekeeper.js';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { createStore } from '../../src/store/create-store.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createLeakCollector } from '../helpers/leak-collector.js';
import { loginThroughDialog } from '../tokens/setup.js';

const ALL_SCOPES = ['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'events:read'] as const;
const keyMaterial = () => randomBytes(32).toString('base64');

it('no token, secret or key appears in any log line, CLI output, response or database file', async () => {
  const leaks = createLeakCollector();
  const emu = await startTestEmulator({ requireAppsecretProof: true });
  await emu.control.setLimits({ enabled: false });
  const dir = mkdtempSync(join(tmpdir(), 'pk-leaks-'));
  const dbFile = join(dir, 'service.db');
  const k1 = keyMaterial();
  const k2 = keyMaterial();
  const keys = `k1:${k1}`;
  const adminKey = `admin-${randomBytes(24).toString('base64url')}`;
  const verifyToken = `verify-${randomBytes(24).toString('base64url')}`;
  const wrongSecret = randomBytes(16).toString('hex');
  leaks.secret('app secret', emu.appSecret);
  leaks.secret('app token', `${emu.appId}|${emu.appSecret}`);
  leaks.secret('key k1', k1);
  leaks.secret('key k2', k2);
  leaks.secret('admin key', adminKey);
  leaks.secret('verify token', verifyToken);
  leaks.secret('a wrong app secret someone configured', wrongSecret);
  for (const u of emu.users) leaks.secret(`short-lived token of ${u.name}`, u.shortLivedToken);

  const errors: unknown[] = [];
  const expectFailure = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      errors.push(e);
      return e;
    }
    throw new Error(`${what} was expected to fail`);
  };

  // --- the library, logging at debug level into the collector ---
  const logLines: string[] = [];
  const logStream = leaks.logStream('pino log (library and service)');
  const logger = createServiceLogger({
    level: 'debug',
    destination: { write: (line: string) => (logLines.push(line), logStream.write(line)) },
  });
  const open = (appSecret: string, database: string) =>
    createPageKeeper({ appId: emu.appId, appSecret, graphUrl: emu.url, dialogUrl: emu.dialogUrl, database, keys, logger, graph: { retryBaseMs: 1, maxBackoffMs: 5 } });
  const pk: PageKeeper = await open(emu.appSecret, `sqlite:${dbFile}`);
  onTestFinished(() => pk.close());

  const owner = emu.users[0]!;
  const second = await emu.control.createUser({ name: 'Second Admin', pages: [{ name: 'Second Shop' }, { name: 'Third Shop' }] });
  leaks.secret('short-lived token of Second Admin', second.shortLivedToken);
  await pk.connect(owner.shortLivedToken);
  await pk.connect(second.shortLivedToken);
  const firstPage = owner.pages[0]!.id;
  const { psid } = await emu.control.inbound(firstPage, { text: 'hello there' });
  await pk.page(firstPage).post(`${firstPage}/messages`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'reply' } });
  await pk.page(firstPage).inspect();
  await pk.check();

  // Error paths: a wrong app secret, an expired user token, garbage, an invalidated page token.
  const wrong = await open(wrongSecret, `sqlite:${join(dir, 'wrong.db')}`);
  await expectFailure('connect with a wrong app secret', () => wrong.connect(owner.shortLivedToken));
  await wrong.close();
  const soonExpired = (await emu.control.shortLivedToken(owner.id)).accessToken;
  leaks.secret('short-lived token that expires', soonExpired);
  await emu.control.advanceClock(2 * 3600);
  await expectFailure('connect with an expired token', () => pk.connect(soonExpired));
  await expectFailure('connect with garbage', () => pk.connect(`EAA${randomBytes(30).toString('base64url')}`));
  await emu.control.event(second.id, 'password_changed');
  const secondPage = second.pages[0]!.id;
  await expectFailure('a call with an invalidated page token', () => pk.page(secondPage).get('me'));
  await pk.check();

  // --- the service, listening so the emulator can deliver webhooks and deauthorize callbacks ---
  const deps = createServiceDeps(
    pk,
    { publicUrl: 'http://127.0.0.1:1', verifyToken, adminKey, forwardUrl: undefined, notifyWebhookSecret: undefined, keys, devOpenDashboard: false },
    { apiKeys: { cacheTtlMs: 0 }, outbox: pk.messenger },
  );
  const worker = pk.messenger.startWorker({ pollMs: 20 });
  await pk.messenger.recordInbound(firstPage, psid, Date.now());
  const server = await buildServer(deps, { logger });
  onTestFinished(() => server.shutdown(2000));
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const svc = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const excepted: string[] = [];
  const call = async (method: 'GET' | 'POST', url: string, init: { headers?: Record<string, string>; payload?: string | object; except?: boolean } = {}) => {
    const res = await server.app.inject({ method, url, headers: init.headers, ...(init.payload !== undefined ? { payload: init.payload } : {}) });
    // What the service sent back: status, headers, body (the request line is ours, not its output).
    const text = `${res.statusCode}\n${JSON.stringify(res.headers)}\n${res.body}`;
    if (init.except && res.statusCode === 200) excepted.push(res.body);
    else leaks.add(`service response ${method} ${url.split('?')[0]}`, text);
    return res;
  };
  const { key: apiKey } = await deps.apiKeys.create({ name: 'leak test', scopes: [...ALL_SCOPES] });
  leaks.secret('API key', apiKey);
  const { key: revokedKey, id: revokedId } = await deps.apiKeys.create({ name: 'revoked', scopes: ['pages:read'] });
  leaks.secret('revoked API key', revokedKey);
  await deps.apiKeys.revoke(revokedId);
  const auth = { authorization: `Bearer ${apiKey}` };

  await call('GET', '/healthz');
  await call('GET', '/metrics');
  await call('GET', '/openapi.json');
  await call('GET', '/v1/pages', { headers: auth });
  await call('GET', `/v1/pages/${firstPage}`, { headers: auth });
  const tokenRes = await call('GET', `/v1/pages/${firstPage}/token`, { headers: auth, except: true });
  expect(tokenRes.statusCode).toBe(200);
  await call('GET', `/v1/pages/${secondPage}/token`, { headers: auth, except: true }); // no valid token left: an error body, searched
  await call('POST', `/v1/pages/${firstPage}/check`, { headers: auth });
  const queued = await call('POST', `/v1/pages/${firstPage}/messages`, { headers: auth, payload: { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'queued' } } });
  expect(queued.statusCode).toBe(202);
  await worker.idle();
  expect((await call('GET', `/v1/messages/${queued.json().id}`, { headers: auth })).json().status).toBe('sent');
  await call('GET', '/v1/pages', { headers: { authorization: `Bearer ${revokedKey}` } });
  await call('GET', '/v1/pages', { headers: { authorization: `Bearer ${apiKey}x` } });
  await call('GET', `/v1/pages/${firstPage}/token`, { headers: { authorization: `Bearer ${apiKey.slice(0, -2)}` } });
  await call('GET', `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}&hub.challenge=12345`);
  await call('GET', `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}x&hub.challenge=12345`);
  const event = JSON.stringify({ object: 'page', entry: [{ id: firstPage, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: firstPage }, timestamp: Date.now(), message: { mid: 'm_1', text: 'hi' } }] }] });
  await call('POST', '/webhooks/messenger', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureHeader(emu.appSecret, event) }, payload: event });
  await call('POST', '/webhooks/messenger', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureHeader(wrongSecret, event) }, payload: event });
  await call('POST', '/webhooks/messenger', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=zz' }, payload: '{"object":"page",' });
  await call('POST', '/facebook/deauthorize', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `signed_request=${signedRequest(wrongSecret, { user_id: owner.id, algorithm: 'HMAC-SHA256', issued_at: 1 })}` });
  await call('POST', '/facebook/data-deletion', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'signed_request=not.valid' });
  // Through the emulator: a real signed event and the real deauthorize callback of the second admin.
  await emu.control.setWebhook({ url: `${svc}/webhooks/messenger`, verifyToken, deauthorizeUrl: `${svc}/facebook/deauthorize` });
  await emu.control.inbound(firstPage, { text: 'through the emulator' });
  await emu.control.deauthorize(second.id);
  // The dashboard: a wrong admin key, then a session, then its pages.
  await call('GET', '/');
  await call('POST', '/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `adminKey=${adminKey}nope` });
  const login = await call('POST', '/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `adminKey=${encodeURIComponent(adminKey)}` });
  const session = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
  await call('GET', '/', { headers: { cookie: session } });
  // The connect flow: dialog, callback with the code, then the same callback replayed.
  const start = await call('GET', '/connect');
  const stateCookie = String(start.headers['set-cookie'] ?? '').split(';')[0]!;
  const back = await loginThroughDialog(String(start.headers.location));
  leaks.secret('OAuth code', back.searchParams.get('code') ?? undefined);
  const callback = `/oauth/callback${back.search}`;
  await call('GET', callback, { headers: { cookie: stateCookie } });
  await call('GET', callback, { headers: { cookie: stateCookie } });
  await call('GET', '/oauth/callback?code=forged&state=forged', { headers: { cookie: stateCookie } });

  // --- the CLI, as separate processes on their own database ---
  const cliDir = mkdtempSync(join(tmpdir(), 'pk-leaks-cli-'));
  const cliDb = join(cliDir, 'cli.db');
  const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_KEYS: keys, PAGEKEEPER_DATABASE: `sqlite:${cliDb}`, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_DIALOG_URL: emu.dialogUrl };
  const cli = async (args: string[], opts: { input?: string; env?: Record<string, string>; exceptStdout?: boolean } = {}) => {
    const r = await runCliProcess(args, { cwd: cliDir, env: { ...env, ...opts.env }, input: opts.input, timeoutMs: 60_000 });
    expect(r.timedOut, `pagekeeper ${args.join(' ')} hung`).toBe(false);
    if (opts.exceptStdout) excepted.push(r.stdout);
    else leaks.add(`cli ${args.join(' ')} stdout`, r.stdout);
    leaks.add(`cli ${args.join(' ')} stderr`, r.stderr);
    return r;
  };
  const freshToken = (await emu.control.shortLivedToken(owner.id)).accessToken;
  leaks.secret('short-lived token for the CLI', freshToken);
  expect((await cli(['connect', '--json'], { input: `${freshToken}\n` })).code).toBe(0);
  const created = await Promise.all([
    cli(['pages']),
    cli(['pages', '--json']),
    cli(['check', '--json']),
    cli(['token', firstPage], { exceptStdout: true }),
    cli(['doctor']),
    cli(['api-keys', 'create', '--name', 'cli', '--json'], { exceptStdout: true }),
    cli(['connect'], { input: `${freshToken}\n`, env: { PAGEKEEPER_APP_SECRET: wrongSecret } }),
    cli(['connect', '--json'], { input: `${soonExpired}\n` }),
    cli(['token', '999999999999999']),
  ]);
  const cliKey = (JSON.parse(created[5]!.stdout) as { key?: string }).key;
  leaks.secret('API key made by the CLI', cliKey);
  await cli(['api-keys', 'list', '--json']);
  await cli(['keys', 'rotate', '--json'], { env: { PAGEKEEPER_KEYS: `k2:${k2},${keys}` } });
  await cli(['pages', '--json'], { env: { PAGEKEEPER_KEYS: `k2:${k2}` } });

  // --- every token that ended up stored, learnt by decrypting the stores ---
  for (const database of [`sqlite:${dbFile}`, `sqlite:${cliDb}`]) {
    const store = await createStore({ database, keys: `k2:${k2},${keys}` });
    for (const u of await store.users.list()) leaks.secret(`long-lived user token of ${u.id}`, (await store.users.getWithToken(u.id))!.token);
    for (const t of await store.pageTokens.listAllWithTokens()) leaks.secret(`page token ${t.pageId}/${t.userId}`, t.token);
    await store.close();
  }
  for (const e of errors) leaks.add('errors the library threw (inspected, with causes)', inspect(e, { depth: 10 }));
  await worker.stop();
  await server.shutdown(2000);
  await pk.close();
  leaks.addDatabaseFiles(dbFile);
  leaks.addDatabaseFiles(cliDb);

  expect(leaks.scan()).toEqual([]);
  // Control: the search does find the tokens where handing them out is the point.
  const pageTokenValues = [...leaks.secrets()].filter(([, label]) => label.startsWith(`page token ${firstPage}/`)).map(([v]) => v);
  expect(pageTokenValues.some((v) => excepted.join('\n').includes(v))).toBe(true);
  expect(excepted.join('\n')).toContain(cliKey);
  // And the things searched were not empty.
  expect(readFileSync(dbFile).length).toBeGreaterThan(0);
  expect(leaks.sources().length).toBeGreaterThan(40);
  expect(logLines.some((l) => l.includes('"graph call"'))).toBe(true);
  expect(logLines.some((l) => l.includes('"graph call failed'))).toBe(true);
}, 150_000);
