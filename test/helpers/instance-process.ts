/**
 * One pagekeeper instance in its own process, for the several-instances tests and bench:
 * a PageKeeper on the shared database, plus an outbox worker (`outbox`) or one
 * health sweep round (`sweep`). Started by test/helpers/instances.ts; run it by hand with
 *
 *   PAGEKEEPER_DATABASE=postgres://... PAGEKEEPER_KEYS=... PAGEKEEPER_APP_ID=... \
 *   PAGEKEEPER_APP_SECRET=... PAGEKEEPER_GRAPH_URL=http://127.0.0.1:PORT \
 *   npx tsx test/helpers/instance-process.ts outbox
 *
 * Protocol: one JSON object per stdout line. It prints {"event":"ready",...} once the
 * PageKeeper is open, waits for a `go` line on stdin, then works. `outbox` runs until a `stop`
 * line or SIGTERM (a `wake` line makes it look for due messages at once), then prints
 * {"event":"stopped","sent":N} (N: messages this instance recorded sent); `sweep` prints
 * {"event":"round",...} and exits.
 * Tuning from env: PK_INSTANCE_ID, PK_LEASE_MS (claim expiry), PK_CONCURRENCY, PK_MAX_PER_SECOND
 * (sends per second per Page for this instance), PK_PARTITIONS (sweep), PK_TRACE_MS and
 * PK_TRACE_PAGES (a `trace` line that often: sent, claimed, POSTs on the wire, those Pages' caps).
 */
import { createInterface } from 'node:readline';
import { dbOptions, loadConfig, requireSetting } from '../../src/config/load-config.js';
import { createPageKeeper } from '../../src/pagekeeper.js';

const mode = process.argv[2];
if (mode !== 'outbox' && mode !== 'sweep') {
  process.stderr.write('usage: instance-process.ts outbox|sweep\n');
  process.exit(2);
}

const say = (event: string, data: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
const num = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

const config = loadConfig({ cwd: process.cwd(), env: process.env });
const instanceId = process.env.PK_INSTANCE_ID ?? `i${process.pid}`;
const pk = await createPageKeeper({
  appId: requireSetting(config.appId, 'PAGEKEEPER_APP_ID'),
  appSecret: requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET'),
  database: config.database,
  db: dbOptions(config),
  keys: config.keys,
  graphUrl: config.graphUrl,
  graphVersion: config.graphVersion,
  ...(num('PK_MAX_PER_SECOND') === undefined ? {} : { messenger: { maxPerSecond: num('PK_MAX_PER_SECOND') } }),
});

const lines = createInterface({ input: process.stdin });
const commands: string[] = [];
let onCommand: (() => void) | undefined;
// The parent gone (stdin closed) means nobody will ever stop this instance: stop now.
lines.on('close', () => {
  commands.push('stop');
  onCommand?.();
  setTimeout(() => process.exit(1), 10_000).unref();
});
lines.on('line', (l) => {
  commands.push(l.trim());
  onCommand?.();
});
async function next(): Promise<string> {
  while (commands.length === 0) await new Promise<void>((r) => (onCommand = r));
  return commands.shift()!;
}

say('ready', { instanceId, pid: process.pid });
for (;;) {
  const command = await next();
  if (command === 'go') break;
  if (command === 'stop') {
    await pk.close();
    process.exit(0);
  }
}

if (mode === 'outbox') {
  const worker = pk.messenger.startWorker({
    workerId: instanceId,
    ...(num('PK_LEASE_MS') === undefined ? {} : { leaseMs: num('PK_LEASE_MS') }),
    ...(num('PK_CONCURRENCY') === undefined ? {} : { concurrency: num('PK_CONCURRENCY') }),
  });
  say('working', { workerId: worker.id });
  // PK_TRACE_MS: a {"event":"trace"} line that often (what this instance sent, holds and has on the wire), for diagnosing the bench.
  const traceMs = num('PK_TRACE_MS');
  const tracePages = (process.env.PK_TRACE_PAGES ?? '').split(',').filter(Boolean);
  if (traceMs !== undefined) {
    const t0 = Date.now();
    setInterval(() => say('trace', { t: Date.now() - t0, sent: worker.sent, claimed: worker.inFlight, posts: worker.posts.inFlight, caps: tracePages.map((p) => Math.round(pk.messenger.throttle.state(p).cap)) }), traceMs).unref();
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await pk.close();
      say('stopped', { workerId: worker.id, sent: worker.sent });
      process.exit(0);
    })());
  process.once('SIGTERM', () => void stop());
  // `wake`: look for due messages now (a bench that has just made some due).
  for (let c = await next(); c !== 'stop'; c = await next()) if (c === 'wake') worker.wake();
  await stop();
} else {
  // One round now; the timer is pushed out of the way and stopped after the round.
  const scheduler = pk.schedule({
    instanceId,
    every: 24 * 3600_000,
    initialDelayMs: 24 * 3600_000,
    minCallIntervalMs: 0,
    ...(num('PK_PARTITIONS') === undefined ? {} : { partitions: num('PK_PARTITIONS') }),
  });
  const round = await scheduler.runRound();
  await scheduler.stop();
  await pk.close();
  say('round', { partitions: round.partitions, inspected: round.inspected, calls: round.calls, failed: round.failed, complete: round.complete });
  process.exit(0);
}
