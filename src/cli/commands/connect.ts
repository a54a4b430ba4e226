/**
 * `pagekeeper connect`: a short-lived user token in, never-expiring Page tokens stored.
 * The token comes from stdin when piped or from a hidden prompt on a terminal, never from argv
 * (argv is visible to every user on the machine through `ps`). `--browser` runs Facebook Login
 * with a local callback on http://localhost:PORT/callback instead. `--system-user` takes a system
 * user's token (Business Settings > Users > System users > Generate new token) the same way, and
 * `--pages ID,ID` names Pages to read from the Page itself when /me/accounts leaves them out.
 * https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/
 * https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { isCancel, password } from '@clack/prompts';
import Fastify from 'fastify';
import { z } from 'zod';
import { loadConfig } from '../../config/load-config.js';
import { isPageKeeperError, pkError } from '../../errors.js';
import type { PageKeeper } from '../../pagekeeper.js';
import type { ConnectResult } from '../../tokens/connect.js';
import { createState } from '../../tokens/create-state.js';
import { verifyState } from '../../tokens/verify-state.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';
import { expiry, iso, paint, statusWord, table } from '../output.js';
import { showInvisible } from '../../core/visible-text.js';

export const DEFAULT_CALLBACK_PORT = 8765;
/** A login code lives 10 minutes; waiting longer than that is pointless. */
const LOGIN_TIMEOUT_MS = 10 * 60_000;

export interface ConnectJson {
  user: { id: string; name: string };
  userToken: { expiresAt: string | null; kind: 'user' | 'system_user' };
  pages: {
    id: string;
    name: string;
    tasks: string[];
    tokenExpiresAt: string | null;
    dataAccessExpiresAt: string | null;
    status: string;
    subscription: { subscribed: boolean; fields: string[]; reason: string | null; fix: string | null };
  }[];
  added: string[];
  removed: string[];
}

const OptionsSchema = z.object({
  browser: z.boolean().optional(),
  port: z.coerce.number().int().min(0).max(65535).optional(),
  open: z.boolean().optional(),
  systemUser: z.boolean().optional(),
  pages: z.string().optional(),
  redirectUri: z.string().optional(),
});

/** PAGEKEEPER_PUBLIC_URL from the environment or .env, for naming serve's connect page; undefined when the config does not load. */
function publicUrlOf(ctx: CommandContext): string | undefined {
  try {
    return loadConfig({ cwd: ctx.cwd, env: ctx.env }).publicUrl;
  } catch {
    return undefined;
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Where --browser waits. Facebook accepts http:// only for localhost and only while the app is in
 * development mode (https://developers.facebook.com/docs/facebook-login/security); an https
 * redirect needs a TLS endpoint, which is `pagekeeper serve`'s job, not this command's.
 * @returns the local port to listen on and the callback path.
 */
export function localRedirect(redirectUri: string | undefined, defaultPort: number, publicUrl: string | undefined): { port: number; path: string } {
  if (redirectUri === undefined) return { port: defaultPort, path: '/callback' };
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw pkError('PK_USAGE', { detail: '--redirect-uri must be an absolute URL such as https://pagekeeper.example.com/oauth/callback' });
  }
  if (url.protocol === 'https:') {
    const base = publicUrl ?? url.origin;
    throw pkError('PK_REDIRECT_NEEDS_SERVE', { redirectUri: url.href, connectUrl: `${base}/connect` });
  }
  if (url.protocol !== 'http:' || !LOCAL_HOSTS.has(url.hostname)) throw pkError('PK_INSECURE_REDIRECT', { redirectUri: url.href });
  if (url.hostname !== 'localhost') throw pkError('PK_USAGE', { detail: `--redirect-uri must say localhost (the name Facebook's Valid OAuth Redirect URIs list), not ${url.hostname}` });
  return { port: url.port === '' ? 80 : Number(url.port), path: url.pathname };
}

/** `--pages 111,222`: numeric Page ids, comma-separated. */
function parsePageIds(text: string | undefined): string[] {
  if (text === undefined) return [];
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) throw pkError('PK_USAGE', { detail: '--pages takes numeric Page ids separated by commas, e.g. --pages 1122334455,6677889900' });
  return ids;
}

export async function run(ctx: CommandContext, args: string[], rawOptions: Record<string, unknown>): Promise<CommandResult<ConnectJson>> {
  if (args.length > 0) {
    throw pkError('PK_USAGE', { detail: 'connect takes no arguments: pipe the token on stdin or type it at the hidden prompt (a token in argv is visible to everyone through `ps`)' });
  }
  const parsed = OptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw pkError('PK_USAGE', { detail: `--port must be a port number (0-65535)` });
  const options = parsed.data;
  if (options.browser && options.systemUser) {
    throw pkError('PK_USAGE', { detail: '--system-user takes a token generated in Business Settings; it cannot be combined with --browser (for Facebook Login for Business set PAGEKEEPER_LOGIN_CONFIG_ID and use --browser alone)' });
  }
  if (options.pages !== undefined && !options.systemUser) throw pkError('PK_USAGE', { detail: '--pages is for system users: use it with --system-user' });
  const pageIds = parsePageIds(options.pages);
  if (options.redirectUri !== undefined && !options.browser) throw pkError('PK_USAGE', { detail: '--redirect-uri is for --browser' });
  // Checked before anything opens: a redirect Facebook would refuse fails here, with its rule.
  const local = options.browser ? localRedirect(options.redirectUri, options.port ?? DEFAULT_CALLBACK_PORT, publicUrlOf(ctx)) : undefined;

  const result = await withPageKeeper(ctx, async (pk) => {
    if (options.browser) return connectInBrowser(ctx, pk, { ...local!, open: options.open !== false });
    if (options.systemUser) {
      const token = await readToken(ctx, SYSTEM_USER_PROMPT);
      return pk.connect(token, { signal: ctx.signal, expect: 'system_user', pageIds });
    }
    const token = await readToken(ctx);
    return pk.connect(token, { signal: ctx.signal });
  });
  return { data: toJson(result), human: human(result, ctx.color) };
}

function toJson(r: ConnectResult): ConnectJson {
  return {
    user: r.user,
    userToken: { expiresAt: iso(r.userToken.expiresAt), kind: r.userToken.kind },
    pages: r.pages.map((p) => ({
      id: p.id,
      name: p.name,
      tasks: p.tasks,
      tokenExpiresAt: iso(p.tokenExpiresAt),
      dataAccessExpiresAt: iso(p.dataAccessExpiresAt),
      status: p.status,
      subscription: p.subscription,
    })),
    added: r.added,
    removed: r.removed,
  };
}

function human(r: ConnectResult, color: boolean): string {
  const p = paint(color);
  const who = r.userToken.kind === 'system_user' ? 'the system user token' : 'the user token';
  const lines = [
    `${p.ok('Connected')} ${r.userToken.kind === 'system_user' ? 'system user ' : ''}${p.bold(showInvisible(r.user.name))} (${r.user.id}): ${r.pages.length} page${r.pages.length === 1 ? '' : 's'}; ${who} expires ${expiry(r.userToken.expiresAt)}.`,
    '',
    table(
      ['PAGE', 'NAME', 'STATUS', 'TOKEN EXPIRES', 'DATA ACCESS ENDS', 'WEBHOOKS'],
      r.pages.map((x) => [x.id, showInvisible(x.name), statusWord(x.status, p), expiry(x.tokenExpiresAt), x.dataAccessExpiresAt ? expiry(x.dataAccessExpiresAt) : 'unknown', x.subscription.subscribed ? 'subscribed' : 'NOT subscribed']),
      p,
    ),
  ];
  const unsubscribed = r.pages.filter((x) => !x.subscription.subscribed);
  for (const x of unsubscribed) lines.push('', `${p.bold(showInvisible(x.name))} (${x.id}) is connected but receives no Messenger webhooks: ${x.subscription.reason ?? ''}${x.subscription.fix ? `\n  fix: ${x.subscription.fix}` : ''}`);
  if (r.added.length > 0) lines.push('', `Added: ${r.added.join(', ')}`);
  if (r.removed.length > 0) lines.push('', `No longer granted by ${showInvisible(r.user.name)}: ${r.removed.join(', ')}`);
  return lines.join('\n');
}

/** Reads the whole of a piped stdin; the first non-empty line is the token. */
async function readAll(stream: Readable, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const USER_PROMPT = {
  message: 'Paste a short-lived user token (Graph API Explorer > Generate Access Token); it will not be shown',
  none: 'no token on stdin: pipe a short-lived user token (e.g. `pbpaste | pagekeeper connect`), or run `pagekeeper connect --browser`',
};
const SYSTEM_USER_PROMPT = {
  message: 'Paste the system user token (Business Settings > Users > System users > Generate new token); it will not be shown',
  none: 'no token on stdin: pipe the system user token (e.g. `pbpaste | pagekeeper connect --system-user`)',
};

async function readToken(ctx: CommandContext, prompt = USER_PROMPT): Promise<string> {
  let text: string;
  if (ctx.stdin.isTTY) {
    const answer = await password({
      message: prompt.message,
      input: ctx.stdin,
      output: ctx.stderr,
      signal: ctx.signal,
    });
    if (isCancel(answer)) throw pkError('PK_USAGE', { detail: 'cancelled: no token was given' });
    text = answer;
  } else {
    text = await readAll(ctx.stdin, ctx.signal);
  }
  const token = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!token) throw pkError('PK_USAGE', { detail: prompt.none });
  return token;
}

/** Best effort: a person without a desktop copies the printed URL instead. */
function tryOpen(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed
  }
}

const CallbackQuery = z.object({
  code: z.string().min(1).optional(),
  state: z.string().optional(),
  error: z.string().optional(),
  error_reason: z.string().optional(),
  error_description: z.string().optional(),
});

function resultPage(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto"><h1>${esc(title)}</h1><p>${esc(text)}</p><p>You can close this tab and return to the terminal.</p></body>`;
}

/**
 * Facebook Login through a one-shot local server: prints (and tries to open) the dialog URL,
 * waits for Facebook's redirect to /callback, checks `state`, exchanges the code and connects.
 */
async function connectInBrowser(ctx: CommandContext, pk: PageKeeper, options: { port: number; path: string; open: boolean }): Promise<ConnectResult> {
  const app = Fastify({ logger: false });
  const state = createState();
  let settle!: { resolve: (r: ConnectResult) => void; reject: (e: unknown) => void };
  const done = new Promise<ConnectResult>((resolve, reject) => (settle = { resolve, reject }));
  let redirectUri = '';
  let handled = false;

  app.get(options.path, async (request, reply) => {
    reply.type('text/html; charset=utf-8');
    const q = CallbackQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send(resultPage('Login failed', 'The callback did not look like a Facebook Login redirect.'));
    try {
      verifyState(state, q.data.state);
    } catch (e) {
      // A forged or stale redirect: refuse it but keep waiting for the real one.
      return reply.code(400).send(resultPage('Login refused', isPageKeeperError(e) ? e.message : 'bad state'));
    }
    if (handled) return reply.code(409).send(resultPage('Already done', 'This login was already completed.'));
    handled = true;
    if (q.data.error || !q.data.code) {
      const e = pkError('PK_OAUTH_DENIED');
      settle.reject(e);
      return reply.code(400).send(resultPage('Login cancelled', e.message));
    }
    try {
      const result = await pk.connectWithCode({ code: q.data.code, redirectUri }, { signal: ctx.signal });
      settle.resolve(result);
      return reply.send(resultPage('Connected', `${result.user.name}: ${result.pages.length} page(s) connected.`));
    } catch (e) {
      settle.reject(e);
      return reply.code(400).send(resultPage('Connect failed', isPageKeeperError(e) ? e.message : 'see the terminal'));
    }
  });

  // `localhost` (not 127.0.0.1) because the redirect URI registered in the app says localhost.
  await app.listen({ host: 'localhost', port: options.port });
  const port = (app.server.address() as AddressInfo).port;
  redirectUri = `http://localhost:${port}${options.path}`;
  const url = pk.loginUrl({ redirectUri, state });
  ctx.stderr.write(`Open this URL to log in with Facebook (waiting for ${redirectUri}):\n\n  ${url}\n\n`);
  ctx.stderr.write(
    `Facebook accepts this http://localhost redirect only while the app is in development mode. If the browser says "Insecure Login Blocked", the app is Live: connect through \`pagekeeper serve\` over HTTPS instead (PUBLIC_URL/connect; docs/going-live.md).\n\n`,
  );
  if (!new URL(url).searchParams.has('config_id')) {
    // The one symptom of a Business app opened with scope is in the browser, never here.
    ctx.stderr.write(`If Facebook answers "It looks like this app isn't available", the app is a Business app: set PAGEKEEPER_LOGIN_CONFIG_ID to its Facebook Login for Business configuration id (see \`pagekeeper doctor\`).\n\n`);
  }
  if (options.open) tryOpen(url);

  const timer = setTimeout(() => settle.reject(pkError('PK_USAGE', { detail: 'no Facebook Login redirect arrived within 10 minutes; run the command again (a Live app never redirects to http://localhost: connect through `pagekeeper serve` over HTTPS, docs/going-live.md)' })), LOGIN_TIMEOUT_MS);
  const onAbort = () => settle.reject(pkError('PK_USAGE', { detail: 'interrupted before the login finished' }));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await done;
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    await app.close();
  }
}
