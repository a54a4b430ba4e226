/**
 * Page and user names are chosen by Page admins. A right-to-left override (U+202E) or a
 * terminal escape in one must not rearrange or recolour what the dashboard and the CLI show:
 * such characters are shown as visible `\u{...}` escapes. JSON output keeps the name as Facebook sent it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { showInvisible } from '../../src/core/visible-text.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { startService } from '../service/service-harness.js';
import { newKey } from '../tokens/setup.js';

const HOSTILE = 'Invoice \u202Efdp.exe\u202C \u001b[31mred\u001b[0m\u0007 \u2066x\u2069';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

describe('names with control and bidi characters', () => {
  it('are escaped visibly, and ordinary text (accents, Arabic, emoji) is untouched', () => {
    expect(showInvisible(HOSTILE)).toBe('Invoice \\u{202E}fdp.exe\\u{202C} \\u{001B}[31mred\\u{001B}[0m\\u{0007} \\u{2066}x\\u{2069}');
    for (const fine of ['Café Zoë', 'مقهى', 'Shop 👩‍💻', 'tab\there', 'two\nlines']) expect(showInvisible(fine)).toBe(fine);
  });

  it('are shown escaped on the dashboard', async () => {
    const h = await startService({ devOpenDashboard: true });
    const created = await h.emu.control.createUser({ name: 'Mallory', pages: [{ name: HOSTILE }] });
    const { accessToken } = await h.emu.control.shortLivedToken(created.id);
    await h.pk.connect(accessToken);
    const page = await h.server.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Invoice \\u{202E}fdp.exe\\u{202C}');
    expect(page.body).not.toMatch(RAW);
  });

  it('are shown escaped by `pagekeeper pages` and `connect`, and kept as sent in --json', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({ name: `Mal\u202Elory`, pages: [{ name: HOSTILE }] });
    const { accessToken } = await emu.control.shortLivedToken(created.id);
    const dir = mkdtempSync(join(tmpdir(), 'pk-names-'));
    const env = { PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url, PAGEKEEPER_DIALOG_URL: emu.dialogUrl, PAGEKEEPER_KEYS: newKey(), PAGEKEEPER_DATABASE: `sqlite:${join(dir, 'pk.db')}` };
    const connected = await runCli(['connect'], { cwd: dir, env, input: `${accessToken}\n` });
    expect(connected.code, connected.stderr).toBe(0);
    expect(connected.stdout).toContain('Mal\\u{202E}lory');
    expect(connected.stdout).toContain('Invoice \\u{202E}fdp.exe');
    expect(connected.stdout).not.toMatch(RAW);
    const pages = await runCli(['pages'], { cwd: dir, env });
    expect(pages.code, pages.stderr).toBe(0);
    expect(pages.stdout).toContain('Invoice \\u{202E}fdp.exe\\u{202C} \\u{001B}[31mred');
    expect(pages.stdout).not.toMatch(RAW);
    const json = parseJsonOutput<{ pages: { name: string }[] }>(await runCli(['pages', '--json'], { cwd: dir, env }));
    expect(json.pages.map((p) => p.name)).toEqual([HOSTILE]);
  });
});
