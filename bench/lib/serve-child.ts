/**
 * `pagekeeper serve` as issue 8 item 3 measures it: the same pieces, wired the same way as
 * src/cli/commands/serve.ts (config from PAGEKEEPER_* env, createPageKeeper, the service
 * extensions' outbox worker, createServiceDeps, buildServer, listening on 127.0.0.1, logs at
 * PAGEKEEPER_LOG_LEVEL), with one difference: its health scheduler is built here, so the bench
 * can run one full round at once instead of waiting up to 10 minutes of jitter for serve's
 * 6-hourly timer. `every` is 1 s, so every token checked more than half a second before the round
 * is stale and the round sweeps all of them, through the scheduler's own code (partition leases,
 * pacing, debug_token batches of 50).
 *
 * Prints `{"url","pid"}` once it listens, then `{"event":"swept",...}` after the round with its
 * time and the HTTP requests it sent to Graph; stays up (holding everything) until SIGTERM.
 */
import pino from 'pino';
import { dbOptions, loadConfig, requireSetting } from '../../src/config/load-config.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { createServiceExtensions } from '../../src/service/service-extensions.js';
import { countHttpRequests } from './http-counter.js';

async function main(): Promise<void> {
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
  const address = server.app.server.address() as { port: number };
  for (const w of extensions.workers) await w.start();
  const scheduler = pk.schedule({ every: 1_000, jitter: 0, initialDelayMs: 24 * 3600 * 1000, minCallIntervalMs: 0, budgetShare: 1 });
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}`, pid: process.pid })}\n`);

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
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
