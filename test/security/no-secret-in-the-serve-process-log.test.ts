/**
 * For the process people actually run: `pagekeeper serve` at log level debug,
 * through a browser-style connect, REST calls, signed and forged webhooks, a sent message, a
 * token that dies, a deauthorize callback and a SIGTERM. Its whole stdout and stderr, every
 * response it gave and its database files hold none of the secrets (the `/v1/pages/{id}/token`
 * answer and `api-keys create` output excepted, and checked to hold what they should).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it, onTestFinished } from 'vitest';
import { signatureHeader, signedRequest } from '../../src/emulator/index.js';
import { createStore } from '../../src/store/create-store.js';
import { runCliProcess, spawnCli } from '../helpers/cli-process.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createLeakCollector } from '../helpers/leak-collector.js';
import { loginThroughDialog } from '../tokens/setup.js';

it('pagekeeper serve at debug level logs and answers without any secret', async () => {
  const leaks = createLeakCollector();
  const emu = await startTestEmulator({ requireAppsecretProof: true });
  await emu.control.setLimits({ enabled: false });
  const dir = mkdtempSync(join(tmpdir(), 'pk-serve-leaks-'));
  const dbFile = join(dir, 'pk.db');
  const material = randomBytes(32).toString('base64');
  const env = {
    PAGEKEEPER_APP_ID: emu.appId,
    PAGEKEEPER_APP_SECRET: emu.appSecret,
    PAGEKEEPER_KEYS: `k1:${material}`,
    PAGEKEEPER_DATABASE: `sqlite:${dbFile}`,
    PAGEKEEPER_GRAPH_URL: emu.url,
    PAGEKEEPER_DIALOG_URL: emu.dialogUrl,
    PAGEKEEPER_ADMIN_KEY: `admin-${randomBytes(24).toString('base64url')}`,
    PAGEKEEPER_VERIFY_TOKEN: `verify-${randomBytes(24).toString('base64url')}`,
    PAGEKEEPER_LOG_LEVEL: 'debug',
  };
  leaks.secret('app secret', emu.appSecret);
  leaks.secret('app token', `${emu.appId}|${emu.appSecret}`);
  leaks.secret('key material', material);
  leaks.secret('admin key', env.PAGEKEEPER_ADMIN_KEY);
  leaks.secret('verify token', env.PAGEKEEPER_VERIFY_TOKEN);
  leaks.secret('short-lived token', emu.users[0]!.shortLivedToken);

  const created = await runCliProcess(['api-keys', 'create', '--name', 'serve leak test', '--scopes', 'pages:read,pages:check,tokens:read,messages:write', '--json'], { cwd: dir, env });
  expect(created.code, created.stderr).toBe(0);
  const apiKey = (JSON.parse(created.stdout) as { key: string }).key;
  leaks.secret('API key', apiKey);
  leaks.add('api-keys create stderr', created.stderr);

  const serve = spawnCli(['serve', '--port', '0', '--json'], { cwd: dir, env, timeoutMs: 90_000 });
  onTestFinished(async () => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await serve.done;
  });
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    serve.child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    void serve.done.then((r) => reject(new Error(`serve exited (${r.code}): ${r.stderr.slice(-2000)}`)));
  });
  const base = (JSON.parse(ready) as { url: string }).url;

  const excepted: string[] = [];
  const call = async (path: string, init: RequestInit & { except?: boolean } = {}) => {
    const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
    const body = await res.text();
    if (init.except && res.status === 200) excepted.push(body);
    else leaks.add(`response ${init.method ?? 'GET'} ${path.split('?')[0]}`, `${res.status}\n${JSON.stringify([...res.headers])}\n${body}`);
    return { status: res.status, headers: res.headers, body };
  };
  const auth = { authorization: `Bearer ${apiKey}` };

  // Connect like a person in a browser.
  const start = await call('/connect');
  expect(start.status).toBe(302);
  const back = await loginThroughDialog(start.headers.get('location')!);
  leaks.secret('OAuth code', back.searchParams.get('code') ?? undefined);
  const acted = await call(`/oauth/callback${back.search}`, { headers: { cookie: start.headers.get('set-cookie')!.split(';')[0]! } });
  expect(acted.status).toBe(303);
  const done = await call(acted.headers.get('location')!);
  expect(done.status).toBe(200);
  const [page, other] = emu.users[0]!.pages.map((p) => p.id);

  // Webhooks from the emulator (handshake, signed event), then forged ones.
  await emu.control.setWebhook({ url: `${base}/webhooks/messenger`, verifyToken: env.PAGEKEEPER_VERIFY_TOKEN, deauthorizeUrl: `${base}/facebook/deauthorize` });
  const { psid } = await emu.control.inbound(page!, { text: 'hello from a person' });
  const forged = JSON.stringify({ object: 'page', entry: [{ id: page, time: 1, messaging: [] }] });
  await call('/webhooks/messenger', { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureHeader('not-the-secret', forged) }, body: forged });
  await call('/facebook/deauthorize', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${signedRequest('not-the-secret', { user_id: emu.users[0]!.id, algorithm: 'HMAC-SHA256' })}` });

  // REST: reads, the token (excepted), a message through the outbox, a check, wrong keys.
  await call('/v1/pages', { headers: auth });
  const token = await call(`/v1/pages/${page}/token`, { headers: auth, except: true });
  expect(token.status).toBe(200);
  const queued = await call(`/v1/pages/${page}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'reply' } }) });
  expect(queued.status).toBe(202);
  const messageId = (JSON.parse(queued.body) as { id: string }).id;
  let status = 'queued';
  for (let i = 0; i < 200 && status !== 'sent'; i++) {
    await sleep(50);
    status = (JSON.parse((await call(`/v1/messages/${messageId}`, { headers: auth })).body) as { status: string }).status;
  }
  expect(status).toBe('sent');
  await call('/v1/pages', { headers: { authorization: `Bearer ${apiKey}0` } });
  await call('/v1/pages?access_token=nothing&key=x', { headers: { authorization: 'Bearer pk_notakey' } });
  // A token that dies: the person changes their password; a check finds out.
  await emu.control.event(emu.users[0]!.id, 'password_changed');
  await call(`/v1/pages/${other}/check`, { method: 'POST', headers: auth });
  await call(`/v1/pages/${other}/token`, { headers: auth, except: true });
  await emu.control.deauthorize(emu.users[0]!.id);
  await call('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'adminKey=wrong' });

  serve.child.kill('SIGTERM');
  const ended = await serve.done;
  expect(ended.code).toBe(0);
  leaks.add('serve stdout', ended.stdout);
  leaks.add('serve stderr (the log)', ended.stderr);

  const store = await createStore({ database: `sqlite:${dbFile}`, keys: env.PAGEKEEPER_KEYS });
  for (const u of await store.users.list()) leaks.secret(`user token ${u.id}`, (await store.users.getWithToken(u.id))!.token);
  for (const t of await store.pageTokens.listAllWithTokens()) leaks.secret(`page token ${t.pageId}/${t.userId}`, t.token);
  await store.close();
  leaks.addDatabaseFiles(dbFile);

  expect(leaks.scan()).toEqual([]);
  // Controls: the log is at debug level and not empty; the excepted answer did hold a page token.
  expect(ended.stderr.split('\n').filter((l) => l.includes('"level":20')).length).toBeGreaterThan(5);
  expect([...leaks.secrets()].some(([v, label]) => label.startsWith(`page token ${page}/`) && excepted.join('\n').includes(v))).toBe(true);
  expect(created.stdout).toContain(apiKey);
}, 120_000);
