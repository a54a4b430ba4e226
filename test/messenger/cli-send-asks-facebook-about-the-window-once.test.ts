import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMessengerWorld, type MessengerWorld } from '../helpers/messenger.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-cli-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliEnv(w: MessengerWorld): Record<string, string> {
  return { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_DATABASE: w.database, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_GRAPH_URL: w.emu.url };
}

const lookups = async (w: MessengerWorld) => (await w.emu.control.stats()).calls['GET /{page-id}/conversations'] ?? 0;

describe('pagekeeper send to a person pagekeeper never saw a webhook from', () => {
  it('asks Facebook once, sends, and the second send makes no lookup', { timeout: 90_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'once.db')}` });
    const env = cliEnv(w);
    // The person writes to the Page; no service runs, so no webhook reaches pagekeeper.
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'do you deliver on Sundays?' });
    await w.emu.control.resetStats();

    const first = await runCli(['send', w.pageId, psid, 'Yes, 9 to 1', '--json'], { cwd: dir, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await lookups(w)).toBe(1);

    const second = await runCli(['send', w.pageId, psid, 'Anything else?', '--json'], { cwd: dir, env });
    expect(second.code).toBe(0);
    expect(await lookups(w)).toBe(1);
    expect((await w.sent()).filter((m) => m.recipientId === psid).map((m) => m.message?.text)).toEqual(['Yes, 9 to 1', 'Anything else?']);
    // The answer was recorded: the library sees the window too.
    expect(await w.pk.context.store.db.selectFrom('conversations').select('psid').where('psid', '=', psid).executeTakeFirst()).toEqual({ psid });
  });

  it('refuses locally, after one lookup, a person Facebook shows no message from', { timeout: 90_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'never.db')}` });
    await w.emu.control.resetStats();
    const r = await runCli(['send', w.pageId, '4242424242', 'hello?'], { cwd: dir, env: cliEnv(w) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error PK_OUTSIDE_WINDOW: .*Conversations API shows no message from them/);
    expect(await lookups(w)).toBe(1);
    expect((await w.emu.control.stats()).calls['POST /{page-id}/messages'] ?? 0).toBe(0);
  });

  it('sends when pagekeeper only knows an old message but Facebook shows a new one', { timeout: 90_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'stale.db')}` });
    const { psid } = await w.emu.control.inbound(w.pageId, { text: 'me again' });
    await w.pk.messenger.recordInbound(w.pageId, psid, Date.now() - 30 * 3600_000);
    const r = await runCli(['send', w.pageId, psid, 'welcome back'], { cwd: dir, env: cliEnv(w) });
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});
