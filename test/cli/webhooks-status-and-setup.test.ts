/**
 * `pagekeeper webhooks status|setup`: the app-level subscription that connect cannot make.
 * status says what is wrong; setup points the app's page subscription at
 * PAGEKEEPER_PUBLIC_URL/webhooks/messenger (Facebook verifies it during the call); then a
 * Page's messages reach that URL. doctor reports both levels. No secret is printed.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey } from '../tokens/setup.js';

const VERIFY = 'verify-me-7f3a';

/** Stands in for `pagekeeper serve`: answers Facebook's verification at /webhooks/messenger and keeps the POSTs. */
async function receiver(verifyToken: string) {
  const posts: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/webhooks/messenger') return void res.writeHead(404).end();
    if (req.method === 'GET') {
      const okToken = url.searchParams.get('hub.verify_token') === verifyToken;
      return void res.writeHead(okToken ? 200 : 403).end(okToken ? (url.searchParams.get('hub.challenge') ?? '') : 'wrong token');
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(body);
      res.end('EVENT_RECEIVED');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

interface WebhooksJson {
  ok: boolean;
  changed?: boolean;
  expected: { callbackUrl: string | null; fields: string[] };
  subscriptions: { object: string; callbackUrl: string | null; active: boolean; fields: string[] }[];
  problems: string[];
  fix: string | null;
}

describe('pagekeeper webhooks', { timeout: 120_000 }, () => {
  it('status finds nothing, setup creates the subscription once, then messages arrive at /webhooks/messenger', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver(VERIFY);
    const dir = mkdtempSync(join(tmpdir(), 'pk-webhooks-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_PUBLIC_URL: hook.url, PAGEKEEPER_VERIFY_TOKEN: VERIFY };

    const before = await runCli(['webhooks', 'status', '--json'], { cwd: dir, env });
    expect(before.code).toBe(1);
    const b = parseJsonOutput<WebhooksJson>(before);
    expect(b).toMatchObject({ ok: false, subscriptions: [], fix: expect.stringMatching(/pagekeeper webhooks setup/) });
    expect(b.problems.join(' ')).toMatch(/no webhook subscription for Pages/);

    const setup = await runCli(['webhooks', 'setup', '--json'], { cwd: dir, env });
    expect(setup.code).toBe(0);
    const s = parseJsonOutput<WebhooksJson>(setup);
    expect(s).toMatchObject({ ok: true, changed: true, problems: [] });
    expect(s.subscriptions).toEqual([
      { object: 'page', callbackUrl: `${hook.url}/webhooks/messenger`, active: true, fields: ['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals'] },
    ]);
    for (const out of [before, setup]) {
      expect(out.stdout + out.stderr).not.toContain(VERIFY);
      expect(out.stdout + out.stderr).not.toContain(emu.appSecret);
    }

    const again = await runCli(['webhooks', 'setup', '--json'], { cwd: dir, env });
    expect(parseJsonOutput<WebhooksJson>(again)).toMatchObject({ ok: true, changed: false });
    const status = await runCli(['webhooks', 'status'], { cwd: dir, env });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/page: active/);

    const inbound = await emu.control.inbound(emu.users[0]!.pages[0]!.id, { text: 'it works' });
    expect(inbound.delivered).toBe(true);
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]).toContain('it works');

    // doctor agrees at both levels (no Page connected in this database).
    const doctor = parseJsonOutput<{ checks: { name: string; ok: boolean; detail: string }[] }>(
      await runCli(['doctor', '--json'], { cwd: dir, env: { ...env, PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` } }),
    );
    expect(doctor.checks.find((c) => c.name === 'webhooks (app)')).toMatchObject({ ok: true, detail: expect.stringContaining('/webhooks/messenger') });
    expect(doctor.checks.find((c) => c.name === 'webhooks (pages)')).toMatchObject({ ok: true });
  });

  it('setup against a receiver that does not pass verification fails with PK_WEBHOOK_SETUP_FAILED and a fix; nothing is subscribed', async () => {
    const emu = await startTestEmulator();
    const hook = await receiver('some-other-token');
    const dir = mkdtempSync(join(tmpdir(), 'pk-webhooks-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_PUBLIC_URL: hook.url, PAGEKEEPER_VERIFY_TOKEN: VERIFY };
    const r = await runCli(['webhooks', 'setup', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const j = parseJsonOutput<{ error: { code: string; message: string; fix: string } }>(r);
    expect(j.error.code).toBe('PK_WEBHOOK_SETUP_FAILED');
    expect(j.error.message).toMatch(/callback verification failed/);
    expect(j.error.fix).toMatch(/pagekeeper serve/);
    expect(r.stdout + r.stderr).not.toContain(VERIFY);
    expect(parseJsonOutput<WebhooksJson>(await runCli(['webhooks', 'status', '--json'], { cwd: dir, env })).subscriptions).toEqual([]);
  });

  it('setup without PAGEKEEPER_PUBLIC_URL says which setting is missing (exit 2)', async () => {
    const emu = await startTestEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'pk-webhooks-'));
    const r = await runCli(['webhooks', 'setup'], { cwd: dir, env: { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_VERIFY_TOKEN: VERIFY } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PK_CONFIG_MISSING: PAGEKEEPER_PUBLIC_URL is not set/);
  });
});
