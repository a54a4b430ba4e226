#!/usr/bin/env node
/**
 * The pagekeeper CLI entry point: a command table that lazy-loads each command. Commands are
 * async functions that take typed options and return data; only this file prints and maps
 * errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { PageKeeperError } from '../errors.js';
import { GraphError } from '../graph/graph-error.js';
import type { CommandContext, CommandResult } from './context.js';

interface CommandSpec {
  name: string;
  describe: string;
  configure?: (cmd: Command) => Command;
  /** Lazy: a command's dependencies load only when it runs. */
  load: () => Promise<{ run: (ctx: CommandContext, args: string[], options: Record<string, unknown>) => Promise<CommandResult> }>;
}

const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    describe: 'write a .env with a fresh encryption key and placeholders',
    configure: (c) => c.option('--pin-version [version]', "write PAGEKEEPER_GRAPH_VERSION (this version, or today's default) instead of following the newest Graph version"),
    load: () => import('./commands/init.js'),
  },
  {
    name: 'emulator',
    describe: 'run the Graph API emulator (prints one JSON line once it listens)',
    configure: (c) =>
      c
        .option('--host <host>', 'address to listen on', '127.0.0.1')
        .option('--port <port>', 'port (0 picks a free one)', '0')
        .option('--seed <file>', 'JSON seed file with the app, users and pages')
        .option('--require-appsecret-proof', 'refuse calls without appsecret_proof')
        .option('--latency <ms[:jitter]>', 'hold every Graph answer back this many ms (plus/minus jitter), like a real round trip'),
    load: () => import('./commands/emulator.js'),
  },
  {
    name: 'connect',
    describe: 'turn a short-lived user token (stdin or hidden prompt, never argv) into never-expiring Page tokens',
    configure: (c) =>
      c
        .option('--browser', 'log in with Facebook in the browser instead of pasting a token')
        .option('--port <port>', 'local callback port for --browser (http://localhost:PORT/callback)', '8765')
        .option('--no-open', 'print the login URL without trying to open a browser')
        .option('--redirect-uri <uri>', 'with --browser: the redirect registered in the app (http://localhost:PORT/PATH; an https one belongs to `pagekeeper serve`)')
        .option('--system-user', "connect a system user's token (Business Settings > System users) instead of a person's")
        .option('--pages <ids>', 'with --system-user: Page ids to read from the Page itself when /me/accounts leaves them out'),
    load: () => import('./commands/connect.js'),
  },
  { name: 'pages', describe: 'list connected Pages, their health and token expiry', load: () => import('./commands/pages.js') },
  { name: 'token', describe: 'print the token of one Page, alone, for piping', configure: (c) => c.argument('[page-id]', 'the Page id'), load: () => import('./commands/token.js') },
  {
    name: 'check',
    describe: 'inspect every stored token now; exit 1 when a Page needs attention',
    configure: (c) => c.option('--watch', 'keep checking periodically (with jitter, within the rate budget) until Ctrl-C').option('--every <duration>', 'time between checks with --watch: 6h, 30m, 1d', '6h'),
    load: () => import('./commands/check.js'),
  },
  {
    name: 'keys',
    describe: 're-encrypt every stored token under the active key: `keys rotate`',
    configure: (c) => c.argument('[action]', 'rotate').option('--batch-size <n>', 'rows per transaction'),
    load: () => import('./commands/keys.js'),
  },
  {
    name: 'webhooks',
    describe: "the app's webhook subscription: `webhooks status` shows it, `webhooks setup` points it at PAGEKEEPER_PUBLIC_URL/webhooks/messenger",
    configure: (c) => c.argument('[action]', 'status (default) or setup'),
    load: () => import('./commands/webhooks.js'),
  },
  { name: 'doctor', describe: 'check configuration, key, database, Graph, app token and version', load: () => import('./commands/doctor.js') },
  { name: 'demo', describe: 'run the whole token flow against a built-in emulator, narrated', load: () => import('./commands/demo.js') },
  {
    name: 'send',
    describe: 'send one Messenger message now and print its message id',
    configure: (c) =>
      c
        .argument('<page-id>', 'the Page id')
        .argument('<psid>', "the person's Page-scoped id")
        .argument('[text...]', 'the text to send')
        .option('--tag <tag>', 'send as MESSAGE_TAG with this tag (HUMAN_AGENT: a person replying within 7 days)')
        .option('--image <url|file>', 'send an image instead of text: a URL, or a local file that is uploaded first')
        .option('--instagram', "reply on Instagram: <psid> is an IGSID of the Page's linked Instagram account (docs/instagram.md)"),
    load: () => import('./commands/send.js'),
  },
  {
    name: 'outbox',
    describe: 'list outbox messages and counts by status',
    configure: (c) => c.option('--status <status>', 'only queued, sending, sent, failed, held or unknown'),
    load: () => import('./commands/outbox.js'),
  },
  {
    name: 'messages',
    describe: 'browse the outbox, newest first: filter by status, Page and time',
    configure: (c) =>
      c
        .option('--status <status>', 'queued, sending, sent, delivered, read, failed, held, unknown or cancelled')
        .option('--page <page-id>', 'only this Page')
        .option('--since <when>', 'created since: an ISO time or a span back from now (90m, 24h, 7d)')
        .option('--limit <n>', 'at most this many (1 to 500)', '50')
        .option('--before <message-id>', 'the next page: messages older than this one'),
    load: () => import('./commands/messages.js'),
  },
  { name: 'retry', describe: 'retry a failed or unknown message as a new message linked to it', configure: (c) => c.argument('<message-id>', 'the message id (msg_...)'), load: () => import('./commands/retry.js') },
  { name: 'cancel', describe: 'cancel a queued or held message so it is never sent', configure: (c) => c.argument('<message-id>', 'the message id (msg_...)'), load: () => import('./commands/cancel.js') },
  {
    name: 'remove',
    describe: "remove a Page: cancel its waiting messages, unsubscribe its webhooks, delete its tokens",
    configure: (c) => c.argument('<page-id>', 'the Page id').option('--yes', 'really remove it'),
    load: () => import('./commands/remove.js'),
  },
  { name: 'resubscribe', describe: "subscribe the app to a Page's webhooks again, now", configure: (c) => c.argument('<page-id>', 'the Page id'), load: () => import('./commands/resubscribe.js') },
  {
    name: 'serve',
    describe: 'run the service: connect flow, REST API, webhooks, dashboard',
    configure: (c) =>
      c
        .option('--host <host>', 'address to listen on', '127.0.0.1')
        .option('--port <port>', 'port (0 picks a free one)', '3000')
        .option('--emulator', 'start a Graph API emulator beside the service and use it (throwaway database and key)')
        .option('--dev', 'open the dashboard without login (only on a loopback address)')
        .option('--check-now', 'run the first health check at start, not after its random delay of up to 10 minutes'),
    // Before the service's modules load: loading them is what grows V8's young generation.
    load: async () => {
      (await import('./serve-heap.js')).tuneServeHeap();
      return import('./commands/serve.js');
    },
  },
  {
    name: 'migrate',
    describe: 'apply database migrations; with --from/--to copy every table to another database (tokens stay encrypted)',
    configure: (c) =>
      c
        .option('--from <database>', 'source database to copy from, e.g. sqlite:pagekeeper.db')
        .option('--to <database>', 'target database (default PAGEKEEPER_DATABASE); keep passwords in PGPASSWORD, not here')
        .option('--force', 'replace what the target already holds')
        .option('--batch-size <n>', 'rows per read batch'),
    load: () => import('./commands/migrate.js'),
  },
  {
    name: 'api-keys',
    describe: 'REST API keys: `api-keys create --name N [--scopes a,b] [--tenant T [--pages id,id]]`, `api-keys list`, `api-keys revoke ID`',
    configure: (c) =>
      c
        .argument('[action]', 'create, list or revoke')
        .argument('[id]', 'the key id (revoke)')
        .option('--name <name>', 'a name for the key (create)')
        .option('--scopes <scopes>', 'comma-separated: pages:read, pages:check, tokens:read, messages:write, events:read, tenants:admin, connect:write, graph:proxy, pages:manage (create)')
        .option('--tenant <id>', "the key reaches only this tenant's Pages (create)")
        .option('--pages <ids>', 'comma-separated Page ids: only these of its tenant (create, with --tenant)'),
    load: () => import('./commands/api-keys.js'),
  },
  {
    name: 'tenants',
    describe: 'Tenants (your customers): `tenants create --id ID --name NAME`, `tenants list`, `tenants delete ID`',
    configure: (c) =>
      c
        .argument('[action]', 'create, list or delete')
        .argument('[id]', 'the tenant id (delete)')
        .option('--id <id>', 'your own id for the tenant (create)')
        .option('--name <name>', 'a name for the tenant (create)'),
    load: () => import('./commands/tenants.js'),
  },
  {
    name: 'person',
    describe: "who a PSID is on a Page: the person's name and picture (Facebook's User Profile API)",
    configure: (c) => c.argument('<page-id>', 'the Page id').argument('<psid>', "the person's Page-scoped id"),
    load: () => import('./commands/person.js'),
  },
  {
    name: 'bot-profile',
    describe: "the Page's bot settings (Messenger Profile API): prints them, or sets the ones given",
    configure: (c) =>
      c
        .argument('<page-id>', 'the Page id')
        .option('--get-started <payload>', 'the Get Started button with this postback payload')
        .option('--greeting <text>', 'the greeting of the welcome screen (default locale, up to 160 characters)')
        .option('--menu <file>', 'JSON file with the persistent menu (up to 20 buttons)')
        .option('--ice-breakers <file>', 'JSON file with up to 4 ice breakers [{"question","payload"}]'),
    load: () => import('./commands/bot-profile.js'),
  },
];

function makeContext(json: boolean, signal: AbortSignal): CommandContext {
  const color = !json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  return { cwd: process.cwd(), env: process.env, stdin: process.stdin, stderr: process.stderr, json, color, signal };
}

function printError(e: unknown, json: boolean): number {
  if (e instanceof PageKeeperError) {
    const line = `error ${e.code}: ${e.message}${e.fix ? ` | fix: ${e.fix}` : ''}`;
    process.stderr.write(`${json ? line : pc.red(line)}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
    return e.exitCode;
  }
  if (e instanceof GraphError) {
    // GraphError is not a PageKeeperError (it carries Graph's code and kind), but people get the same one line.
    const line = `error ${e.pkCode}: ${e.message}${e.fix ? ` | fix: ${e.fix}` : ''}`;
    process.stderr.write(`${json ? line : pc.red(line)}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.pkCode, message: e.message, ...(e.fix ? { fix: e.fix } : {}) } })}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error PK_INTERNAL: ${message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'PK_INTERNAL', message } })}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const program = new Command('pagekeeper')
    .description('Facebook Page access tokens that keep working')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode = 0;

  for (const spec of COMMANDS) {
    let cmd = program.command(spec.name).description(spec.describe).option('--json', 'print one JSON document');
    if (spec.configure) cmd = spec.configure(cmd);
    cmd.action(async (...received: unknown[]) => {
      const command = received[received.length - 1] as Command;
      const options = command.opts<Record<string, unknown>>();
      const args = command.args;
      const json = options.json === true;
      try {
        const mod = await spec.load();
        const result = await mod.run(makeContext(json, controller.signal), args, options);
        // A long-running command (emulator, serve) prints its own ready line and returns no data.
        if (json && result.data !== undefined) process.stdout.write(`${JSON.stringify(result.data)}\n`);
        else if (!json && result.human !== undefined && result.human !== '')
          process.stdout.write(result.human.endsWith('\n') ? result.human : `${result.human}\n`);
        exitCode = result.exitCode ?? 0;
      } catch (e) {
        exitCode = printError(e, json);
      }
    });
  }

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; real usage errors with 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    return printError(e, argv.includes('--json'));
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return exitCode;
}

const code = await main(process.argv);
process.exitCode = code;
