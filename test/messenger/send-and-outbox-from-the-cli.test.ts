import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMessengerWorld, textBody, type MessengerWorld } from '../helpers/messenger.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-cli-send-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliEnv(w: MessengerWorld): Record<string, string> {
  return { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_DATABASE: w.database, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_GRAPH_URL: w.emu.url };
}

describe('pagekeeper send and pagekeeper outbox', () => {
  it('sends now and prints the message id; refuses outside the window with PK_OUTSIDE_WINDOW and the HUMAN_AGENT hint', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'send.db')}` });
    const env = cliEnv(w);
    const ok = await runCli(['send', w.pageId, w.psid, 'hello', 'from', 'the', 'CLI', '--json'], { cwd: dir, env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as { messageId: string; recipientId: string };
    expect(json.recipientId).toBe(w.psid);
    expect((await w.sent()).map((m) => [m.messageId, m.message?.text])).toEqual([[json.messageId, 'hello from the CLI']]);

    await w.pk.messenger.recordInbound(w.pageId, 'p-stale', Date.now() - 30 * 3600_000);
    const late = await runCli(['send', w.pageId, 'p-stale', 'late'], { cwd: dir, env });
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^error PK_OUTSIDE_WINDOW: .*HUMAN_AGENT/);

    const usage = await runCli(['send', w.pageId, w.psid], { cwd: dir, env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/PK_USAGE/);
  });

  it('lists queued work with counts, filtered by status', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'outbox.db')}` });
    const { id } = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'later'));
    const r = await runCli(['outbox', '--status', 'queued', '--json'], { cwd: dir, env: cliEnv(w) });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { messages: Array<Record<string, unknown>>; counts: Record<string, number> };
    expect(json.messages).toEqual([
      { id, pageId: w.pageId, psid: w.psid, status: 'queued', attempts: 0, messageId: null, error: null, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    expect(json.counts).toEqual({ queued: 1, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, held: 0, unknown: 0, cancelled: 0 });
    const none = await runCli(['outbox', '--status', 'sent', '--json'], { cwd: dir, env: cliEnv(w) });
    expect(JSON.parse(none.stdout).messages).toEqual([]);
  });
});
