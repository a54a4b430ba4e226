/**
 * `pagekeeper serve` as the benchmark measures it: built by the same createService as
 * src/cli/commands/serve.ts (config from PAGEKEEPER_* env, the outbox worker, listening on
 * 127.0.0.1, logs at PAGEKEEPER_LOG_LEVEL), with one difference: its health scheduler is built here, so the bench
 * can run one full round at once instead of waiting up to 10 minutes of jitter for serve's
 * 6-hourly timer. `every` is 1 s, so every token checked more than half a second before the round
 * is stale and the round sweeps all of them, through the scheduler's own code (partition leases,
 * pacing, debug_token batches of 50).
 *
 * Prints `{"url","pid"}` once it listens, then `{"event":"swept",...}` after the round with its
 * time and the HTTP requests it sent to Graph; stays up (holding everything) until SIGTERM.
 */
import pino from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createService } from '../../src/service/create-service.js';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { countHttpRequests } from './http-counter.js';

async function main(): Promise<void> {
  const config = loadConfig({ cwd: process.cwd(), env: process.env });
  const logger = createServiceLogger({ level: process.env.PAGEKEEPER_LOG_LEVEL ?? 'warn', destination: pino.destination({ fd: 2, sync: false }) });
  const service = await createService({
    config: { ...config, publicUrl: undefined, verifyToken: 'bench', adminKey: undefined, forwardUrl: undefined, notifyWebhookSecret: undefined },
    cwd: process.cwd(),
    logger,
    listen: { host: '127.0.0.1', port: 0 },
    healthScheduler: false,
  });
  const { pk } = service;
  await service.startWorkers();
  const scheduler = pk.schedule({ every: 1_000, jitter: 0, initialDelayMs: 24 * 3600 * 1000, minCallIntervalMs: 0, budgetShare: 1 });
  process.stdout.write(`${JSON.stringify({ url: service.url, pid: process.pid })}\n`);

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
      await service.close(5_000);
      process.exit(0);
    })();
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
