import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMessengerWorld, type MessengerWorld } from '../helpers/messenger.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-cli-platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliEnv(w: MessengerWorld): Record<string, string> {
  return { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_DATABASE: w.database, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_GRAPH_URL: w.emu.url};
}

describe('pagekeeper person', () => {
  it("prints the person's name and picture; the name appears nowhere but in the answer", { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'person.db')}` });
    await w.emu.control.setPerson(w.pageId, w.psid, { first_name: 'Hedy', last_name: 'Lamarrovna' });
    const human = await runCli(['person', w.pageId, w.psid], { cwd: dir, env: cliEnv(w) });
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe('Hedy Lamarrovna');
    expect(human.stdout).toMatch(/picture: https:\/\//);
    expect(human.stderr).not.toContain('Lamarrovna');
    const json = await runCli(['person', w.pageId, w.psid, '--json'], { cwd: dir, env: cliEnv(w) });
    expect(JSON.parse(json.stdout)).toMatchObject({ psid: w.psid, pageId: w.pageId, firstName: 'Hedy', lastName: 'Lamarrovna', name: 'Hedy Lamarrovna' });
    const unknown = await runCli(['person', w.pageId, '1234567890123456'], { cwd: dir, env: cliEnv(w) });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error PK_PERSON_NOT_FOUND: /);
  });
});

describe('pagekeeper bot-profile', () => {
  it('sets the Get Started button, greeting, menu and ice breakers from files, then prints them', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'bot.db')}` });
    writeFileSync(join(dir, 'menu.json'), JSON.stringify([{ type: 'postback', title: 'Opening hours', payload: 'HOURS' }, { type: 'web_url', title: 'Shop', url: 'https://shop.example.com/' }]));
    writeFileSync(join(dir, 'ice.json'), JSON.stringify([{ question: 'Do you deliver?', payload: 'DELIVERY' }]));
    const r = await runCli(['bot-profile', w.pageId, '--get-started', 'START', '--greeting', 'Hello {{user_first_name}}!', '--menu', 'menu.json', '--ice-breakers', 'ice.json', '--json'], { cwd: dir, env: cliEnv(w) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { set: string[]; profile: Record<string, unknown> };
    expect(out.set).toEqual(['get_started', 'greeting', 'persistent_menu', 'ice_breakers']);
    const stored = (await w.emu.control.messengerProfile(w.pageId)).profile;
    expect(stored).toEqual(out.profile);
    expect(stored).toMatchObject({
      get_started: { payload: 'START' },
      greeting: [{ locale: 'default', text: 'Hello {{user_first_name}}!' }],
      persistent_menu: [{ locale: 'default', call_to_actions: [{ title: 'Opening hours' }, { title: 'Shop' }] }],
      ice_breakers: [{ question: 'Do you deliver?', payload: 'DELIVERY' }],
    });
    const shown = await runCli(['bot-profile', w.pageId], { cwd: dir, env: cliEnv(w) });
    expect(shown.stdout).toContain('get started: START');
    expect(shown.stdout).toContain('Opening hours, Shop');
  });

  it('refuses a greeting over 160 characters with PK_BOT_PROFILE_INVALID and calls nothing', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'bot-bad.db')}` });
    const r = await runCli(['bot-profile', w.pageId, '--greeting', 'x'.repeat(161)], { cwd: dir, env: cliEnv(w) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error PK_BOT_PROFILE_INVALID: .*greeting\[0\]\.text/);
    expect((await w.emu.control.messengerProfile(w.pageId)).callsInWindow).toBe(0);
  });
});

describe('pagekeeper send --image FILE', () => {
  it('uploads the local file, then sends it by its attachment id', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'image.db')}` });
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 1)]);
    writeFileSync(join(dir, 'photo.png'), png);
    const r = await runCli(['send', w.pageId, w.psid, '--image', 'photo.png', '--json'], { cwd: dir, env: cliEnv(w) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [upload] = await w.emu.control.attachments(w.pageId);
    expect(upload).toMatchObject({ type: 'image', url: null, file: { filename: 'photo.png', contentType: 'image/png', bytes: png.length } });
    const sent = await w.sent();
    expect(sent.map((m) => m.message)).toEqual([{ attachment: { type: 'image', payload: { attachment_id: upload!.id } } }]);
    expect(JSON.parse(r.stdout).messageId).toBe(sent[0]!.messageId);
    const missing = await runCli(['send', w.pageId, w.psid, '--image', 'nope.png'], { cwd: dir, env: cliEnv(w) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error PK_ATTACHMENT_INVALID: The attachment cannot be uploaded: cannot read .*nope.png/);
  });
});
