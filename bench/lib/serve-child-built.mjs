/**
 * bench/lib/serve-child.ts over the BUILT code (dist/, `npm run build` first), on plain node: no
 * tsx loader in the measured process. The same wiring as `pagekeeper serve` (config from
 * PAGEKEEPER_* env, createPageKeeper, the service extensions' outbox worker, createServiceDeps,
 * buildServer, listening on 127.0.0.1, logs at PAGEKEEPER_LOG_LEVEL), with one difference: its
 * health scheduler runs one full round at once instead of after serve's jittered first delay.
 *
 * Prints `{"url","pid"}` once it listens, then `{"event":"swept",...}` after the round with its
 * time and the HTTP requests it sent to Graph; stays up (holding everything) until SIGTERM.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { dbOptions, loadConfig, requireSetting } from '../../dist/config/load-config.js';
import { createPageKeeper } from '../../dist/pagekeeper.js';
import { createServiceDeps } from '../../dist/service/create-service-deps.js';
import { buildServer } from '../../dist/service/server/build-server.js';
import { createServiceLogger } from '../../dist/service/server/create-service-logger.js';
import { createServiceExtensions } from '../../dist/service/service-extensions.js';

function countHttpRequests(origin) {
  const want = new URL(origin).origin;
  let n = 0;
  const onCreate = ({ request }) => {
    if (new URL(String(request.origin)).origin === want && !request.path.startsWith('/_emulator')) n++;
  };
  subscribe('undici:request:create', onCreate);
  return { count: () => n, stop: () => unsubscribe('undici:request:create', onCreate) };
}

const config = loadConfig({ cwd: process.cwd(), env: process.env });
const logger = createServiceLogger({ level: process.env.PAGEKEEPER_LOG_LEVEL ?? 'warn', destination: pino.destination({ fd: 2, sync: false }) });
const pk = await createPageKeeper({
  appId: requireSetting(config.appId, 'PAGEKEEPER_APP_ID'),
  appSecret: requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET'),
  database: config.database,
  db: dbOptions(config),
  keys: config.keys,
  graphUrl: config.graphUrl,
  graphVersion: config.graphVersion,
  cwd: process.cwd(),
  logger,
});
const extensions = await createServiceExtensions({ pk, logger, healthScheduler: false });
const deps = createServiceDeps(
  pk,
  { publicUrl: undefined, verifyToken: 'bench', adminKey: undefined, forwardUrl: undefined, notifyWebhookSecret: undefined, keys: config.keys, devOpenDashboard: false },
  extensions.outbox ? { outbox: extensions.outbox } : {},
);
const server = await buildServer(deps, { logger });
await server.app.listen({ host: '127.0.0.1', port: 0 });
for (const w of extensions.workers) await w.start();
const scheduler = pk.schedule({ every: 1_000, jitter: 0, initialDelayMs: 24 * 3600 * 1000, minCallIntervalMs: 0, budgetShare: 1 });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.app.server.address().port}`, pid: process.pid })}\n`);

const counter = countHttpRequests(config.graphUrl);
const started = performance.now();
const round = await scheduler.runRound();
counter.stop();
process.stdout.write(
  `${JSON.stringify({ event: 'swept', ms: Math.round(performance.now() - started), httpRequests: counter.count(), inspected: round.inspected, invalidated: round.invalidated, failed: round.failed, calls: round.calls, complete: round.complete })}\n`,
);
process.once('SIGTERM', () => {
  void (async () => {
    await scheduler.stop();
    await Promise.allSettled(extensions.workers.map((w) => w.stop(5_000)));
    await server.shutdown(5_000);
    await pk.close();
    process.exit(0);
  })();
});
