/**
 * What the benchmarks call to measure the service: the real service
 * (createPageKeeper over SQLite, pointed at an in-process emulator, N connected Pages, an API
 * key with every scope) and the yardstick, a bare Fastify route returning a constant. Both
 * listen on 127.0.0.1 with keep-alive, like `pagekeeper serve`.
 *
 * In-process:
 *   const svc = await startBenchService({ pages: 100 });
 *   autocannon({ url: `${svc.url}/v1/pages/${svc.pageId}/token`, headers: { authorization: `Bearer ${svc.apiKey}` } });
 *   autocannon({ url: svc.url + svc.webhook.path, method: 'POST', headers: svc.webhook.headers, body: svc.webhook.body });
 *   await svc.close();
 *
 * As a child process (one JSON ready line on stdout, stops on SIGTERM/SIGINT):
 *   node --import tsx bench/lib/bench-service.ts [--pages N] [--events-per-webhook K] [--log-level info]
 *   node --import tsx bench/lib/bench-service.ts --bare
 *
 * Request logging is off unless a log level is given (it would dominate the numbers); `serve`
 * itself takes PAGEKEEPER_LOG_LEVEL (`warn` or `silent` for the same effect).
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import pino from 'pino';
import { startEmulator } from '../../src/emulator/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { SCOPES } from '../../src/service/api-keys/scopes.js';
import { createService } from '../../src/service/create-service.js';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';

export const DEFAULT_BENCH_PAGES = 100;

export interface BenchServiceOptions {
  /** Pages connected before it listens (one emulated user administers them all). Default 100. */
  pages?: number;
  /** Default `sqlite::memory:`. */
  database?: string;
  /** Messaging events in the prepared webhook body (distinct senders). Default 1. */
  eventsPerWebhook?: number;
  /** A pino level for request logging (to /dev/null); default none: no request logging at all. */
  logLevel?: string;
}

export interface BenchService {
  url: string;
  /** Every scope (tokens:read included). */
  apiKey: string;
  /** The first connected Page. */
  pageId: string;
  pageIds: string[];
  emulatorUrl: string;
  /** A ready, validly signed POST /webhooks/messenger request. */
  webhook: { path: '/webhooks/messenger'; body: string; headers: Record<string, string>; events: number };
  /** `sha256=<hex>` over the exact bytes, as Facebook signs (docs/graph-api.md "Webhooks"). */
  sign(body: string | Buffer): string;
  close(): Promise<void>;
}

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

async function listen(app: { listen(o: { host: string; port: number }): Promise<string>; server: { address(): unknown } }): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export async function startBenchService(options: BenchServiceOptions = {}): Promise<BenchService> {
  const n = options.pages ?? DEFAULT_BENCH_PAGES;
  const eventsPerWebhook = options.eventsPerWebhook ?? 1;
  const emu = await startEmulator({
    seed: { users: [{ name: 'Bench Admin', pages: Array.from({ length: n }, (_, i) => ({ name: `Bench Page ${i + 1}` })) }] },
  });
  const verifyToken = 'bench-verify-token';
  const logger = options.logLevel ? createServiceLogger({ level: options.logLevel, destination: pino.destination({ dest: '/dev/null', sync: false }) }) : undefined;
  const service = await createService({
    config: {
      ...loadConfig({ cwd: process.cwd(), env: {} }),
      appId: emu.appId,
      appSecret: emu.appSecret,
      database: options.database ?? 'sqlite::memory:',
      keys: generateKeyEntry('bench'),
      graphUrl: emu.url,
      dialogUrl: emu.dialogUrl,
      verifyToken,
      publicUrl: undefined,
      adminKey: undefined,
      forwardUrl: undefined,
      notifyWebhookSecret: undefined,
    },
    ...(logger ? { logger } : {}),
    listen: { host: '127.0.0.1', port: 0 },
    outboxWorker: false,
    healthScheduler: false,
  });
  const { pk, deps } = service;
  const url = service.url!;
  const connected = await pk.connect(emu.users[0]!.shortLivedToken);
  const pageIds = connected.pages.map((p) => p.id);
  const apiKey = (await deps.apiKeys.create({ name: 'bench', scopes: SCOPES })).key;
  const pageId = pageIds[0]!;
  // Warm the token cache once: the benchmark measures the steady state.
  await pk.page(pageId).token();

  const sign = (body: string | Buffer) => `sha256=${createHmac('sha256', emu.appSecret).update(body).digest('hex')}`;
  const at = Date.now();
  const body = JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: at,
        messaging: Array.from({ length: eventsPerWebhook }, (_, i) => ({
          sender: { id: `${7000000000000000 + i}` },
          recipient: { id: pageId },
          timestamp: at,
          message: { mid: `m_bench_${i}`, text: 'Hello, is this open today? Grüße ✓' },
        })),
      },
    ],
  });

  return {
    url,
    apiKey,
    pageId,
    pageIds,
    emulatorUrl: emu.url,
    webhook: { path: '/webhooks/messenger', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) }, events: eventsPerWebhook },
    sign,
    async close() {
      await service.close(2_000);
      await emu.close();
    },
  };
}

/** The yardstick: Fastify's defaults, one route answering a constant. */
export async function startBareFastify(): Promise<BareServer> {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ ok: true }));
  const url = await listen(app);
  return { url, close: () => app.close() };
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

async function main(argv: string[]): Promise<void> {
  const running = argv.includes('--bare')
    ? await startBareFastify()
    : await startBenchService({
        pages: Number(flag(argv, '--pages') ?? DEFAULT_BENCH_PAGES),
        eventsPerWebhook: Number(flag(argv, '--events-per-webhook') ?? 1),
        ...(flag(argv, '--log-level') ? { logLevel: flag(argv, '--log-level')! } : {}),
      });
  const { close, ...ready } = running as BareServer & Partial<Omit<BenchService, 'sign'>>;
  delete (ready as { sign?: unknown }).sign;
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
