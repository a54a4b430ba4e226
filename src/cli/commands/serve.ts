/**
 * `pagekeeper serve [--host 127.0.0.1] [--port 3000] [--emulator] [--dev] [--json]`: the
 * service (issue 6). Prints `pagekeeper listening on http://HOST:PORT` (or one JSON line
 * `{"url","emulatorUrl"?}`) once it listens; logs go to stderr as JSON lines. On SIGINT/SIGTERM
 * it stops taking work, lets in-flight requests and workers finish, and returns within 10 s.
 */
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { dbOptions, loadConfig, requireSetting } from '../../config/load-config.js';
import { pkError } from '../../errors.js';
import { notifiersFromConfig } from '../../notify/notifiers-from-config.js';
import { createPageKeeper } from '../../pagekeeper.js';
import { SCOPES } from '../../service/api-keys/scopes.js';
import { createServiceDeps } from '../../service/create-service-deps.js';
import { createGraphCallCounter } from '../../service/graph-call-counter.js';
import { buildServer } from '../../service/server/build-server.js';
import { createServiceLogger } from '../../service/server/create-service-logger.js';
import { createServiceExtensions } from '../../service/service-extensions.js';
import { generateKeyEntry } from '../../store/crypto/generate-key-entry.js';
import type { CommandContext, CommandResult } from '../context.js';

export const DEFAULT_PORT = 3000;
/** Everything must be stopped within this after SIGTERM (issue 6 item 4: 10 s, with margin). */
export const SHUTDOWN_DEADLINE_MS = 9_000;
/** Where `--emulator` keeps its throwaway database (git-ignored). */
export const DEV_DIR = '.pagekeeper-dev';

interface ServeOptions {
  host?: string;
  port?: string;
  emulator?: boolean;
  dev?: boolean;
}

/** pino's levels; `warn` or `silent` turn the per-request lines off (benchmarks). */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function run(ctx: CommandContext, _args: string[], options: Record<string, unknown>): Promise<CommandResult> {
  const opts = options as ServeOptions;
  const host = opts.host ?? '127.0.0.1';
  const port = Number(opts.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw pkError('PK_USAGE', { detail: `--port must be a port number (0-65535), got "${opts.port}"` });
  const config = loadConfig({ cwd: ctx.cwd, env: ctx.env });
  const level = ctx.env.PAGEKEEPER_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw pkError('PK_USAGE', { detail: `PAGEKEEPER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"` });
  const logger = createServiceLogger({ level, destination: pino.destination({ fd: 2, sync: false }) });
  const devOpenDashboard = opts.dev === true && LOOPBACK.has(host);
  if (opts.dev && !devOpenDashboard) logger.warn('--dev opens the dashboard without login only on a loopback address; it stays behind the admin login');

  // --emulator: a self-contained playground. Its database and key are throwaway and separate
  // from any configured ones, so emulator tokens never mix with real ones.
  const emulator = opts.emulator ? await (await import('../../emulator/index.js')).startEmulator({ host: '127.0.0.1', port: 0 }) : undefined;
  let database = config.database;
  let keys = config.keys;
  if (emulator) {
    const file = join(ctx.cwd, DEV_DIR, 'serve.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    database = `sqlite:${file}`;
    keys = generateKeyEntry('dev');
  }

  // Graph calls by outcome for /metrics, counted from the Graph client's log lines.
  const graphCalls = createGraphCallCounter(logger);
  let pk;
  try {
    pk = await createPageKeeper({
      appId: emulator ? emulator.appId : requireSetting(config.appId, 'PAGEKEEPER_APP_ID'),
      appSecret: emulator ? emulator.appSecret : requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET'),
      database,
      // The --emulator playground's throwaway SQLite file always migrates.
      db: emulator ? {} : dbOptions(config),
      keys,
      graphUrl: emulator ? emulator.url : config.graphUrl,
      dialogUrl: emulator ? emulator.dialogUrl : config.dialogUrl,
      graphVersion: config.graphVersion,
      webhookFields: config.webhookFields,
      ...(config.loginConfigId && !emulator ? { loginConfigId: config.loginConfigId } : {}),
      cwd: ctx.cwd,
      instagram: config.instagram === true,
      logger: graphCalls.logger,
      // Health alerts: a log line always, a signed webhook when PAGEKEEPER_NOTIFY_WEBHOOK_URL is set.
      notifiers: notifiersFromConfig(config, logger),
    });
  } catch (e) {
    await emulator?.close();
    throw e;
  }

  const extensions = await createServiceExtensions({ pk, logger });
  const deps = createServiceDeps(
    pk,
    {
      publicUrl: config.publicUrl,
      verifyToken: config.verifyToken ?? (emulator ? 'pagekeeper-dev-verify-token' : undefined),
      adminKey: config.adminKey,
      forwardUrl: config.forwardUrl,
      notifyWebhookSecret: config.notifyWebhookSecret,
      keys,
      devOpenDashboard,
    },
    { ...(extensions.outbox ? { outbox: extensions.outbox } : {}), metrics: graphCalls.samples },
  );
  const server = await buildServer(deps, { logger });
  try {
    await server.app.listen({ host, port });
  } catch (e) {
    await Promise.allSettled([server.shutdown(1000), pk.close(), emulator?.close()]);
    throw pkError('PK_USAGE', { detail: `cannot listen on ${host}:${port}: ${(e as Error).message}` });
  }
  const addr = server.app.server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}`;
  // Without PAGEKEEPER_PUBLIC_URL the OAuth redirect comes back to where we listen (local use).
  if (deps.config.publicUrl === undefined) {
    deps.config.publicUrl = url;
    if (!LOOPBACK.has(host)) logger.warn('PAGEKEEPER_PUBLIC_URL is not set; Facebook Login will redirect to the listen address');
  }
  for (const w of extensions.workers) await w.start();

  // The playground is wired end to end: the emulator's webhooks (messages, deauthorize, data
  // deletion) come to this service, and a throwaway API key with every scope is printed so the
  // REST API can be tried at once. Both only with --emulator: the key opens emulator tokens only.
  let devApiKey: string | undefined;
  if (emulator) {
    try {
      await emulator.control.setWebhook({
        url: `${url}/webhooks/messenger`,
        verifyToken: deps.config.verifyToken!,
        deauthorizeUrl: `${url}/facebook/deauthorize`,
        dataDeletionUrl: `${url}/facebook/data-deletion`,
      });
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'could not point the emulator webhooks at the service');
    }
    devApiKey = (await deps.apiKeys.create({ name: 'dev (--emulator)', scopes: SCOPES })).key;
  }

  process.stdout.write(
    ctx.json ? `${JSON.stringify({ url, ...(emulator ? { emulatorUrl: emulator.url, apiKey: devApiKey } : {}) })}\n` : `pagekeeper listening on ${url}\n`,
  );
  if (!ctx.json && emulator) {
    process.stdout.write(`emulator at ${emulator.url}; open ${url}/ and click "Connect a Page"\n`);
    process.stdout.write(`API key for this playground (every scope, emulator only): ${devApiKey}\n`);
  }

  if (!ctx.signal.aborted) await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));

  // Shutdown: stop taking work, let in-flight work finish, close; all before the deadline.
  const deadline = Date.now() + SHUTDOWN_DEADLINE_MS;
  const left = () => Math.max(0, deadline - Date.now());
  logger.info('shutting down');
  const workersStopped = Promise.allSettled(extensions.workers.map((w) => w.stop(left())));
  await server.shutdown(left());
  await Promise.race([workersStopped, new Promise((r) => setTimeout(r, left()).unref())]);
  await Promise.race([Promise.allSettled([pk.close(), emulator?.close()]), new Promise((r) => setTimeout(r, left()).unref())]);
  logger.flush();
  return { data: { url, stopped: true }, human: '' };
}
