/**
 * The several-instances bench: outbox messages/s for one, two and three instances (separate processes,
 * test/helpers/instance-process.ts) on one PostgreSQL, the emulator's page limits out of the
 * way. Each run gets a fresh database in a throwaway cluster (test/helpers/postgres.ts), queues
 * `messages` texts across `pages` Pages (test/helpers/outbox-world.ts), starts the instances,
 * and times from `go` until the emulator has recorded every message; then checks each was
 * delivered exactly once.
 *
 *   npx tsx test/helpers/bench-outbox-instances.ts [--messages 5000] [--pages 10] [--instances 1,2,3]
 *
 * prints one JSON document: {"runs":[{instances,messages,ms,perSecond,deliveredOnce}],
 * "ratios":{"2":r,"3":r}} (rate of n instances / rate of one). For bench/scenarios:
 *
 *   import { measureOutboxInstances } from './bench-outbox-instances.js';
 *   const run = await measureOutboxInstances({ instances: 3, messages: 5000, pages: 10 });
 *
 * Throws when PostgreSQL binaries are missing (the caller reports the row as unavailable).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnInstance, stopAll, type Instance } from './instances.js';
import { prepareOutboxWorld } from './outbox-world.js';
import { startPostgres } from './postgres.js';

export interface OutboxInstancesRun {
  instances: number;
  messages: number;
  /** From `go` until the emulator had every message. */
  ms: number;
  perSecond: number;
  /** Every message on the emulator exactly once and every outbox row `sent`. */
  deliveredOnce: boolean;
}

export interface OutboxInstancesOptions {
  instances: number;
  messages?: number;
  pages?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
}

export async function measureOutboxInstances(options: OutboxInstancesOptions): Promise<OutboxInstancesRun> {
  const messages = options.messages ?? 5_000;
  const pg = await startPostgres();
  if ('skipped' in pg) throw new Error(pg.skipped);
  const instances: Instance[] = [];
  try {
    const world = await prepareOutboxWorld({ database: pg.url, messages, pages: options.pages ?? 10, recipients: 10 });
    try {
      for (let i = 0; i < options.instances; i++) instances.push(await spawnInstance('outbox', world.env, `bench-${i}`));
      const started = performance.now();
      for (const i of instances) i.go();
      const deadline = Date.now() + (options.timeoutMs ?? 300_000);
      while ((await world.delivered()) < messages) {
        if (Date.now() > deadline) throw new Error(`${options.instances} instance(s) delivered ${await world.delivered()} of ${messages} in time`);
        await sleep(5);
      }
      const ms = performance.now() - started;
      // Let a stray duplicate show up before judging.
      await sleep(200);
      const counts = await world.pk.messenger.counts();
      const texts = [...(await world.sent()).values()].flat().map((m) => m.text);
      const deliveredOnce = counts.sent === messages && texts.length === messages && new Set(texts).size === messages;
      return { instances: options.instances, messages, ms: Math.round(ms), perSecond: Math.round((messages / ms) * 1000), deliveredOnce };
    } finally {
      await stopAll(instances);
      await world.close();
    }
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, pages: { type: 'string', default: '10' }, instances: { type: 'string', default: '1,2,3' } } });
  const runs: OutboxInstancesRun[] = [];
  for (const n of values.instances.split(',').map(Number)) {
    const run = await measureOutboxInstances({ instances: n, messages: Number(values.messages), pages: Number(values.pages) });
    process.stderr.write(`${n} instance(s): ${run.perSecond} msg/s, delivered once: ${run.deliveredOnce}\n`);
    runs.push(run);
  }
  const one = runs.find((r) => r.instances === 1);
  const ratios = Object.fromEntries(runs.filter((r) => r.instances !== 1 && one).map((r) => [String(r.instances), Math.round((r.perSecond / one!.perSecond) * 100) / 100]));
  process.stdout.write(`${JSON.stringify({ runs, ratios })}\n`);
  process.exit(0);
}
