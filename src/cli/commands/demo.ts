/**
 * `pagekeeper demo` (what `npm start` runs): the whole mission against the built-in Graph API
 * emulator, narrated step by step with results and timings. Needs no configuration: the
 * throwaway database and key live under `.pagekeeper-demo/` in the current directory
 * (git-ignored), and the database is started afresh on every run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createPageKeeper } from '../../pagekeeper.js';
import type { ConnectProgress } from '../../tokens/connect.js';
import { inspectTokens } from '../../tokens/inspect-tokens.js';
import type { CommandContext, CommandResult } from '../context.js';
import { duration, expiry, paint, table } from '../output.js';

export const DEMO_DIR = '.pagekeeper-demo';

export interface DemoStep {
  step: string;
  ok: boolean;
  ms: number;
  result: string;
}

export interface DemoJson {
  ok: boolean;
  steps: DemoStep[];
}

/** The demo's own key, kept between runs so the folder always holds one consistent key. */
function demoKey(dir: string): string {
  const file = join(dir, 'key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `demo:${randomBytes(32).toString('base64')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function run(ctx: CommandContext): Promise<CommandResult<DemoJson>> {
  const p = paint(ctx.color);
  const steps: DemoStep[] = [];
  const lines: string[] = [];
  // Narration goes out as it happens (stderr when --json keeps stdout for the one document).
  const out = ctx.json ? ctx.stderr : process.stdout;
  const say = (line = '') => {
    lines.push(line);
    out.write(`${line}\n`);
  };
  let clock = performance.now();
  const record = (step: string, result: string, detail: string[] = []) => {
    const now = performance.now();
    const ms = now - clock;
    clock = now;
    steps.push({ step, ok: true, ms: Math.round(ms), result });
    say(`${p.ok('✔')} ${p.bold(step)} ${p.dim(`(${duration(ms)})`)}`);
    say(`  ${result}`);
    for (const d of detail) say(`  ${p.dim(d)}`);
    say();
  };

  say(p.bold('pagekeeper demo: from a short-lived user token to Page tokens that never expire'));
  say(p.dim('Everything below runs against the built-in Graph API emulator; nothing reaches Facebook.'));
  say();

  const dir = join(ctx.cwd, DEMO_DIR);
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'demo.db');
  for (const f of readdirSync(dir)) if (f.startsWith('demo.db')) rmSync(join(dir, f), { force: true });
  const keys = demoKey(dir);

  const { startEmulator } = await import('../../emulator/index.js');
  const emu = await startEmulator({ host: '127.0.0.1', port: 0 });
  try {
    const user = emu.users[0];
    if (!user) throw new Error('the emulator has no seeded user');
    record('Emulator started', `${emu.url}, app ${emu.appId}, user ${user.name} with ${user.pages.length} pages`);

    const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, graphUrl: emu.url, dialogUrl: emu.dialogUrl, database: `sqlite:${dbFile}`, keys });
    try {
      say(p.dim(`Throwaway database ${join(DEMO_DIR, 'demo.db')}, key in ${join(DEMO_DIR, 'key')}.`));
      say();

      // Steps 1-3 and storage all happen inside connect(); its progress events mark each one.
      const onProgress = (e: ConnectProgress) => {
        switch (e.step) {
          case 'input_checked':
            record('1. Short-lived user token checked', `A USER token of this app, expires ${expiry(e.expiresAt)}, with ${e.scopes.join(', ')}`, [
              'In real life: copied from Graph API Explorer, or from `pagekeeper connect --browser`.',
            ]);
            break;
          case 'exchanged':
            record('2. Exchanged for a long-lived user token', `Expires ${expiry(e.expiresAt)}; exchanged server-side with the app secret (fb_exchange_token)`);
            break;
          case 'discovered':
            record('3. Page tokens fetched', `${e.pages} pages from /me/accounts${e.businessPages ? ` plus ${e.businessPages} through Business Manager` : ''}, following every page of results`);
            break;
          case 'verified':
            record('4. Page tokens verified', `${e.neverExpiring} of ${e.pages} page tokens never expire (debug_token expires_at: 0)`);
            break;
          case 'stored':
            record('5. Stored encrypted', `${e.pages} page tokens and the user token written in one transaction, AES-256-GCM`);
            break;
        }
      };
      clock = performance.now();
      const connected = await pk.connect(user.shortLivedToken, { onProgress });

      // Show what a stolen database file would reveal.
      const first = connected.pages[0];
      if (!first) throw new Error('no page was connected');
      const token = await pk.page(first.id).token();
      const db = new BetterSqlite3(dbFile, { readonly: true });
      let sample: { ciphertext: string; keyId: string } | undefined;
      try {
        const row = db.prepare('select token_ciphertext as ciphertext, key_id as keyId from page_tokens where page_id = ?').get(first.id) as { ciphertext: string; keyId: string } | undefined;
        sample = row;
      } finally {
        db.close();
      }
      const files = readdirSync(dir).filter((f) => f.startsWith('demo.db'));
      const leaked = files.some((f) => readFileSync(join(dir, f)).includes(Buffer.from(token)) || readFileSync(join(dir, f)).includes(Buffer.from(user.shortLivedToken)));
      if (leaked) throw new Error('a token was found in plaintext in the database file');
      record('6. Checked the database file', `page_tokens.token_ciphertext = ${sample ? `${sample.ciphertext.slice(0, 24)}... (key "${sample.keyId}")` : 'missing'}`, [
        `Searched ${files.join(', ')} byte by byte: no token in plaintext.`,
      ]);

      const tokens = await Promise.all(connected.pages.map((x) => pk.page(x.id).token()));
      const inspections = await inspectTokens(pk.context, tokens);
      const never = inspections.filter((o) => o.ok && o.inspection.isValid && o.inspection.type === 'PAGE' && o.inspection.expiresAt === null).length;
      if (never !== connected.pages.length) throw new Error(`only ${never} of ${connected.pages.length} stored page tokens are valid and never expire`);
      record(
        '7. Stored tokens re-verified',
        `Read back and decrypted, then one debug_token batch: every page token expires ${p.ok('never')}`,
        table(
          ['PAGE', 'NAME', 'TOKEN EXPIRES'],
          connected.pages.map((x) => [x.id, x.name, 'never']),
        ).split('\n'),
      );

      const subscribed = connected.pages.filter((x) => x.subscription.subscribed);
      const fields = subscribed[0]?.subscription.fields ?? [];
      record(
        '8. Pages subscribed to webhooks',
        `${subscribed.length} of ${connected.pages.length} pages subscribed to the app (POST /{page-id}/subscribed_apps) with ${fields.join(', ')}`,
        [
          ...connected.pages.filter((x) => !x.subscription.subscribed).map((x) => `${x.name}: not subscribed: ${x.subscription.reason ?? ''}`),
          'Facebook delivers a Page\'s Messenger webhooks only when the Page is subscribed and the app has a webhook subscription:',
          'with your real app, `pagekeeper webhooks setup` points it at PAGEKEEPER_PUBLIC_URL/webhooks/messenger.',
        ],
      );

      const inbound = await emu.control.inbound(first.id, { text: 'Hi! Are you open today?' });
      record('9. A customer wrote to the Page', `PSID ${inbound.psid} sent "Hi! Are you open today?" (the 24-hour window is open)`, [
        'No webhook reached pagekeeper (no service runs): it has no record of this person yet.',
      ]);

      const lookupsBefore = (await emu.control.stats()).calls['GET /{page-id}/conversations'] ?? 0;
      const sent = await pk.messenger.send(first.id, inbound.psid, { text: 'Yes, until 6 pm. See you!' });
      const lookups = ((await emu.control.stats()).calls['GET /{page-id}/conversations'] ?? 0) - lookupsBefore;
      const seen = (await (await fetch(`${emu.url}/_emulator/pages/${first.id}/messages`)).json()) as { data: { messageId: string }[] };
      if (!seen.data.some((m) => m.messageId === sent.messageId)) throw new Error('the emulator did not record the message');
      record('10. Asked Facebook about the window, then replied', `POST /${first.id}/messages -> message_id ${sent.messageId}`, [
        `${lookups} Conversations API lookup (GET /${first.id}/conversations?user_id=${inbound.psid}): Facebook shows the customer's message, so the window is open; pagekeeper recorded it.`,
        `The next send to this person needs no lookup. The emulator's outbox for ${first.name} shows the reply.`,
      ]);
    } finally {
      await pk.close();
    }
  } finally {
    await emu.close();
  }

  say(p.bold('Do the same with your real Facebook app:'));
  say('  1. pagekeeper init                 writes .env with a fresh encryption key');
  say('  2. edit .env                       PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET (App settings > Basic)');
  say('  3. pagekeeper connect --browser    log in (or pipe a Graph API Explorer token: pbpaste | pagekeeper connect)');
  say('  4. pagekeeper pages                every Page, its token expiring "never"');
  say('  5. pagekeeper token <page-id>      the Page token, for your app');
  say('  6. pagekeeper webhooks setup       with `pagekeeper serve` reachable at PAGEKEEPER_PUBLIC_URL: Messenger webhooks arrive');
  say(p.dim('  See docs/getting-started.md for the Facebook app setup (permissions, redirect URI).'));

  // The narration was printed live; main.ts prints nothing more in human mode.
  return { data: { ok: true, steps }, human: '' };
}
