/**
 * A pagekeeper outbox worker as its own process, for crash tests: opens the shared database
 * named in the environment, starts one worker, prints `ready`, and runs until killed
 * (SIGTERM stops it cleanly; SIGKILL is the point of the test).
 *
 *   PK_TEST_DATABASE=sqlite:/tmp/x.db PK_TEST_KEYS=... PK_TEST_GRAPH_URL=http://127.0.0.1:PORT \
 *   PK_TEST_APP_ID=... PK_TEST_APP_SECRET=... [PK_TEST_LEASE_MS=1000] [PK_TEST_MAX_PER_SECOND=50] \
 *   node --import tsx test/helpers/outbox-worker-process.ts
 */
import { createPageKeeper } from '../../src/pagekeeper.js';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is required`);
  return v;
}

const pk = await createPageKeeper({
  appId: env('PK_TEST_APP_ID'),
  appSecret: env('PK_TEST_APP_SECRET'),
  database: env('PK_TEST_DATABASE'),
  keys: env('PK_TEST_KEYS'),
  graphUrl: env('PK_TEST_GRAPH_URL'),
  messenger: { maxPerSecond: Number(process.env.PK_TEST_MAX_PER_SECOND ?? 300) },
});
pk.messenger.startWorker({ leaseMs: Number(process.env.PK_TEST_LEASE_MS ?? 30_000), pollMs: 50, heldRecheckMs: 500 });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void pk.close().then(() => process.exit(0));
});
