/** `pagekeeper send <page-id> <igsid> text --instagram` replies on Instagram through the Page. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startInstagramWorld } from './world.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-cli-ig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pagekeeper send --instagram', () => {
  it('sends to the IGSID on Instagram, and without --instagram the same id is not a Messenger person', { timeout: 90_000 }, async () => {
    const w = await startInstagramWorld({ database: `sqlite:${join(dir, 'ig.db')}` });
    const env = { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_DATABASE: w.database, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_GRAPH_URL: w.emu.url };
    const { igsid } = await w.emu.control.instagramInbound(w.igId, { text: 'open on Sunday?' });

    const sent = await runCli(['send', w.pageId, igsid, 'Yes, 10 to 4', '--instagram', '--json'], { cwd: dir, env });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const onInstagram = await w.emu.control.instagramMessages(w.igId);
    expect(onInstagram.map((m) => [m.recipientId, (m.message as { text: string }).text])).toEqual([[igsid, 'Yes, 10 to 4']]);
    expect(sent.stdout).toContain(onInstagram[0]!.messageId);

    // As a Messenger send the IGSID is nobody pagekeeper or Facebook knows on the Page.
    const wrong = await runCli(['send', w.pageId, igsid, 'hello', '--json'], { cwd: dir, env });
    expect(wrong.code).not.toBe(0);
    expect(await w.emu.control.sentMessages(w.pageId)).toEqual([]);
  });
});
