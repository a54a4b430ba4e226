/**
 * The several-instances bench: outbox messages/s for one, two and three instances (separate processes,
 * test/helpers/instance-process.ts) on one PostgreSQL, the emulator's page limits out of the
 * way. Each run gets a fresh database in a throwaway cluster (test/helpers/postgres.ts) and
 * queues `messages` texts across `pages` Pages for 10 people per Page, held back, and a warm-up
 * of `warmupPerInstance` x instances texts for 10 other people per Page
 * (test/helpers/outbox-world.ts `warmupApart`). It starts the instances, waits until the
 * emulator has recorded the whole warm-up, makes the held messages due, wakes every instance,
 * and times until the emulator has recorded every message; then checks each was delivered
 * exactly once.
 *
 * The warm-up is there because each instance is a fresh process, and the row is about how
 * instances share the work, not about process start-up (a long-running deployment pays that
 * once). V8 takes a while to compile the hot paths: in the CPU samples of a timed window that
 * came after 1,000 messages per instance, 36% of the three instances' CPU was V8 compiling
 * (29% for one instance); after 6,000, 17%. So n fresh instances paid n compilations inside
 * the window (CPU samples of every process with `perf record -a`). The warm-up goes to people
 * of its own so the timed people have no history for any instance count: a person's next
 * message is found through that person's rows, and with a warm-up of 4,000 per instance shared
 * with them instead of 1,000 (each Page capped at 100 sends/s in both), PostgreSQL's CPU per
 * timed message went from 0.50 to 0.74 ms for three instances (0.31 to 0.34 for one). The held
 * messages start together and every instance is woken, so no instance's people wait for its
 * next poll.
 *
 *   npx tsx test/helpers/bench-outbox-instances.ts [--messages 5000] [--warmup 6000] [--pages 10] [--instances 1,2,3] [--emulator process]
 *
 * prints one JSON document: {"runs":[{instances,messages,ms,perSecond,cpuMsPerMessage,deliveredOnce}],
 * "ratios":{"2":r,"3":r}} (rate of n instances / rate of one). For bench/scenarios:
 *
 *   import { measureOutboxInstances } from './bench-outbox-instances.js';
 *   const run = await measureOutboxInstances({ instances: 3, messages: 5000, pages: 10 });
 *
 * Throws when PostgreSQL binaries are missing (the caller reports the row as unavailable).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { raisePriority } from './emulator-process.js';
import { spawnInstance, stopAll, type Instance } from './instances.js';
import { prepareOutboxWorld } from './outbox-world.js';
import { startPostgres } from './postgres.js';

export const DEFAULT_WARMUP_PER_INSTANCE = 6_000;

export interface OutboxInstancesRun {
  instances: number;
  /** Messages timed: the held ones, recorded after the whole warm-up. */
  messages: number;
  /** From when the held messages were made due (the instances woken) until the emulator had every message. */
  ms: number;
  perSecond: number;
  /** CPU (ms per timed message) of the instance processes together and of PostgreSQL's, over the timed window (Linux /proc; null elsewhere). */
  cpuMsPerMessage: { instances: number; postgres: number } | null;
  /** Every message on the emulator exactly once and every outbox row `sent`. */
  deliveredOnce: boolean;
}

export interface OutboxInstancesOptions {
  instances: number;
  messages?: number;
  pages?: number;
  /** Each instance's share of the warm-up (untimed, to people of its own); default 6,000. */
  warmupPerInstance?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** Where the emulator runs (outbox-world.ts); default in this process. */
  emulator?: 'in-process' | 'process';
}

export async function measureOutboxInstances(options: OutboxInstancesOptions): Promise<OutboxInstancesRun> {
  const messages = options.messages ?? 5_000;
  const pg = await startPostgres();
  if ('skipped' in pg) throw new Error(pg.skipped);
  const instances: Instance[] = [];
  try {
    const warmup = (options.warmupPerInstance ?? DEFAULT_WARMUP_PER_INSTANCE) * options.instances;
    const total = warmup + messages;
    const world = await prepareOutboxWorld({ database: pg.url, messages, warmup, warmupApart: true, held: true, pages: options.pages ?? 10, recipients: 10, ...(options.emulator ? { emulator: options.emulator } : {}) });
    try {
      raisePriority(world.emulatorPid);
      for (let i = 0; i < options.instances; i++) instances.push(await spawnInstance('outbox', world.env, `bench-${i}`));
      for (const i of instances) i.go();
      const deadline = Date.now() + (options.timeoutMs ?? 300_000);
      const until = async (count: number): Promise<number> => {
        let seen: number;
        while ((seen = await world.delivered()) < count) {
          if (Date.now() > deadline) throw new Error(`${options.instances} instance(s) delivered ${seen} of ${total} in time`);
          // Often near the end only: the poll is a request the emulator answers on the same cores.
          await sleep(count - seen > count / 50 ? 20 : 2);
        }
        return seen;
      };
      const atStart = await until(warmup);
      const cpu0 = cpuByProcess(instances.map((i) => i.pid));
      await world.release();
      const started = performance.now();
      for (const i of instances) i.wake();
      await until(total);
      const ms = performance.now() - started;
      const cpu1 = cpuByProcess(instances.map((i) => i.pid));
      const timed = total - atStart;
      // Let a stray duplicate show up before judging.
      await sleep(200);
      const counts = await world.pk.messenger.counts();
      const texts = [...(await world.sent()).values()].flat().map((m) => m.text);
      const deliveredOnce = counts.sent === total && texts.length === total && new Set(texts).size === total;
      const cpuMsPerMessage = cpuPerMessage(cpu0, cpu1, timed);
      return { instances: options.instances, messages: timed, ms: Math.round(ms), perSecond: Math.round((timed / ms) * 1000), cpuMsPerMessage, deliveredOnce };
    } finally {
      await stopAll(instances);
      await world.close();
    }
  } finally {
    await pg.stop();
  }
}

/** CPU used so far (ms, utime + stime) by each instance process and each PostgreSQL process, from /proc; null where there is none. */
function cpuByProcess(pids: number[]): Map<string, { postgres: boolean; ms: number }> | null {
  if (!existsSync('/proc/self/stat')) return null;
  const ticksToMs = 1000 / 100; // USER_HZ is 100 on Linux
  const mine = new Set(pids.map(String));
  const out = new Map<string, { postgres: boolean; ms: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const postgres = !mine.has(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      if (!postgres && !mine.has(pid)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, { postgres, ms: (Number(fields[11]) + Number(fields[12])) * ticksToMs });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * CPU per message between two readings: the instances together and PostgreSQL's processes
 * (a backend that exited within the window is missed; the instances keep their connections).
 */
function cpuPerMessage(before: ReturnType<typeof cpuByProcess>, after: ReturnType<typeof cpuByProcess>, messages: number): { instances: number; postgres: number } | null {
  if (before === null || after === null) return null;
  let instances = 0;
  let postgres = 0;
  for (const [pid, a] of after) {
    const used = a.ms - (before.get(pid)?.ms ?? 0);
    if (a.postgres) postgres += used;
    else instances += used;
  }
  const perMessage = (ms: number) => Math.round((ms / messages) * 1000) / 1000;
  return { instances: perMessage(instances), postgres: perMessage(postgres) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, warmup: { type: 'string', default: String(DEFAULT_WARMUP_PER_INSTANCE) }, pages: { type: 'string', default: '10' }, instances: { type: 'string', default: '1,2,3' }, emulator: { type: 'string', default: 'in-process' } } });
  const emulator = values.emulator;
  if (emulator !== 'process' && emulator !== 'in-process') throw new Error(`--emulator is "${emulator}": use process or in-process`);
  const runs: OutboxInstancesRun[] = [];
  for (const n of values.instances.split(',').map(Number)) {
    const run = await measureOutboxInstances({ instances: n, messages: Number(values.messages), warmupPerInstance: Number(values.warmup), pages: Number(values.pages), emulator });
    process.stderr.write(`${n} instance(s): ${run.perSecond} msg/s, CPU ms/msg ${JSON.stringify(run.cpuMsPerMessage)}, delivered once: ${run.deliveredOnce}\n`);
    runs.push(run);
  }
  const one = runs.find((r) => r.instances === 1);
  const ratios = Object.fromEntries(runs.filter((r) => r.instances !== 1 && one).map((r) => [String(r.instances), Math.round((r.perSecond / one!.perSecond) * 100) / 100]));
  process.stdout.write(`${JSON.stringify({ runs, ratios })}\n`);
  process.exit(0);
}
