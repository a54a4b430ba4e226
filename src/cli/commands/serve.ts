/**
 * `pagekeeper serve [--host 127.0.0.1] [--port 3000] [--emulator] [--dev] [--check-now] [--json]`: the
 * service. Prints `pagekeeper listening on http://HOST:PORT` (or one JSON line
 * `{"url","emulatorUrl"?}`) once it listens; logs go to stderr: readable lines on a terminal,
 * JSON lines when stderr is piped, with --json, or with PAGEKEEPER_LOG_FORMAT=json
 * (PAGEKEEPER_LOG_FORMAT=pretty asks for readable lines anywhere). On SIGINT/SIGTERM
 * it stops taking work, lets in-flight requests and workers finish, and returns within 10 s.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config/load-config.js';
import { isPageKeeperError, pkError } from '../../errors.js';
import { notifiersFromConfig } from '../../notify/notifiers-from-config.js';
import { SCOPES } from '../../service/api-keys/scopes.js';
import { createService } from '../../service/create-service.js';
import { createGraphCallCounter } from '../../service/graph-call-counter.js';
import { createServiceLogger } from '../../service/server/create-service-logger.js';
import { chooseLogFormat } from '../../service/server/log-format.js';
import { generateKeyEntry } from '../../store/crypto/generate-key-entry.js';
import type { CommandContext, CommandResult } from '../context.js';

export const DEFAULT_PORT = 3000;
/** Everything must be stopped within this after SIGTERM (10 s, with margin). */
export const SHUTDOWN_DEADLINE_MS = 9_000;
/** Where `--emulator` keeps its throwaway database (git-ignored). */
export const DEV_DIR = '.pagekeeper-dev';

interface ServeOptions {
  host?: string;
  port?: string;
  emulator?: boolean;
  dev?: boolean;
  checkNow?: boolean;
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
  const format = chooseLogFormat({ json: ctx.json, envFormat: ctx.env.PAGEKEEPER_LOG_FORMAT, isTTY: process.stderr.isTTY === true });
  if (format === 'invalid') throw pkError('PK_USAGE', { detail: `PAGEKEEPER_LOG_FORMAT must be json or pretty, got "${ctx.env.PAGEKEEPER_LOG_FORMAT}"` });
  // Colours only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org).
  const colors = process.stderr.isTTY === true && (ctx.env.NO_COLOR ?? '') === '';
  // Readable lines are for a person: written at once (sync), so the last line before a crash shows.
  const logger = createServiceLogger({ level, format, colors, destination: pino.destination({ fd: 2, sync: format === 'pretty' }) });
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
    // Tenant partitions of the last playground go with it.
    rmSync(`${file}-tenants`, { recursive: true, force: true });
    database = `sqlite:${file}`;
    keys = generateKeyEntry('dev');
  }

  // Graph calls by outcome for /metrics, counted by the Graph client's call observer.
  const graphCalls = createGraphCallCounter();
  let service;
  try {
    service = await createService({
      config: emulator
        ? {
            ...config,
            appId: emulator.appId,
            appSecret: emulator.appSecret,
            database,
            keys,
            graphUrl: emulator.url,
            dialogUrl: emulator.dialogUrl,
            // The --emulator playground's throwaway SQLite file always migrates.
            dbPoolSize: undefined,
            dbStatementTimeoutMs: undefined,
            dbAutoMigrate: true,
            verifyToken: config.verifyToken ?? 'pagekeeper-dev-verify-token',
            // The emulator's dialog is the classic one: no Login for Business configuration.
            loginConfigId: undefined,
          }
        : config,
      cwd: ctx.cwd,
      logger,
      listen: { host, port },
      devOpenDashboard,
      // The first sweep otherwise waits a random share of the jitter, so restarts do not line up.
      ...(opts.checkNow === true ? { healthScheduler: { initialDelayMs: 0 } } : {}),
      // Health alerts: a log line always, a signed webhook when PAGEKEEPER_NOTIFY_WEBHOOK_URL is set.
      pageKeeper: { graph: { observer: graphCalls.observer }, notifiers: notifiersFromConfig(config, logger) },
      metrics: graphCalls.samples,
    });
  } catch (e) {
    await emulator?.close();
    if (isPageKeeperError(e)) throw e;
    throw pkError('PK_USAGE', { detail: `cannot listen on ${host}:${port}: ${(e as Error).message}` });
  }
  const { deps } = service;
  const url = service.url!;
  if (config.publicUrl === undefined && !LOOPBACK.has(host)) logger.warn('PAGEKEEPER_PUBLIC_URL is not set; Facebook Login will redirect to the listen address');
  await service.startWorkers();

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
  logger.info('shutting down');
  await service.close(SHUTDOWN_DEADLINE_MS);
  await Promise.race([emulator?.close(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
  logger.flush();
  return { data: { url, stopped: true }, human: '' };
}
