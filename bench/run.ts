/**
 * `npm run bench [-- --quick] [-- --only <substr>] [-- --emulator in-process]` (`-- --help` lists them)
 *
 * Runs every scenario in bench/scenarios/ against one Graph API emulator (limits disabled),
 * prints one table (scenario, pagekeeper, yardstick, ratio, target, pass/fail) and writes
 * bench/results.json. Progress goes to stderr, the table to stdout. Exits 1 when any row fails,
 * so a regression is never silent; rows whose pagekeeper API does not exist yet fail too, marked
 * "not available" with the API they wait for.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchEmulator } from './lib/emulator-process.js';
import { disableLimits } from './lib/fixtures.js';
import { machineInfo } from './lib/machine.js';
import { unavailableRows } from './lib/rows.js';
import { renderTable } from './lib/table.js';
import { SUBJECTS, type BenchContext, type Row, type Scenario } from './lib/types.js';

/** A scenario that runs longer than this is cut off and reported as failed. */
const SCENARIO_TIMEOUT_MS = { quick: 45_000, full: 150_000 };

/** Niceness of the bench process (and what it starts) against the emulator's 0. */
const CLIENT_NICE = 5;

function lowerPriority(log: (m: string) => void): void {
  try {
    if (getPriority() < CLIENT_NICE) setPriority(CLIENT_NICE);
  } catch (e) {
    log(`note: the bench could not lower its own priority (${e instanceof Error ? e.message : String(e)}); the emulator competes with it for the CPU`);
  }
}

const USAGE = `usage: npm run bench [-- --quick] [-- --only <scenario id or row name part> ...] [-- --emulator in-process] [-- --out results.json]
  --quick      scaled-down runs (fewer messages, fewer repeats)
  --only       run only the scenarios whose id or one of whose row names contains the text (repeatable)
  --emulator   child-process (default) or in-process
  --out        where the JSON results go (default bench/results.json)`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        emulator: { type: 'string', default: 'child-process' },
        out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exit(2);
  }
}
const values = parseOptions();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.emulator !== 'child-process' && values.emulator !== 'in-process') {
  process.stderr.write(`--emulator must be child-process or in-process (got ${values.emulator})\n${USAGE}\n`);
  process.exit(2);
}

async function loadScenarios(): Promise<Scenario[]> {
  const dir = new URL('./scenarios/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const list: Scenario[] = [];
  for (const f of files) {
    const mod = (await import(new URL(f.replace(/\.ts$/, '.js'), dir).href)) as { scenario?: Scenario };
    if (!mod.scenario) throw new Error(`bench/scenarios/${f} does not export \`scenario\``);
    list.push(mod.scenario);
  }
  return list.sort((a, b) => SUBJECTS.indexOf(a.subject) - SUBJECTS.indexOf(b.subject) || a.id.localeCompare(b.id));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const started = Date.now();
  const quick = values.quick === true;
  const only = values.only ?? [];
  const mode = values.emulator === 'in-process' ? 'in-process' : 'child-process';
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const all = await loadScenarios();
  const selected = only.length ? all.filter((s) => only.some((o) => s.id.includes(o) || s.rows.some((r) => r.name.includes(o)))) : all;
  log(`pagekeeper bench (${quick ? 'quick' : 'full'}): ${selected.length} scenario(s), emulator in a ${mode}`);

  const emulator = await startBenchEmulator(mode);
  // The emulator stands for Facebook's servers, which a client's CPU cannot slow down: once it
  // runs in its own process, everything measured (this process and what it starts: instances,
  // PostgreSQL, serve) runs at a lower priority. On a 2-core machine an emulator starved by the
  // client fell behind on its socket, then handled the backlog at once and counted sends of two
  // seconds in one of its fixed windows (613s that graph.facebook.com would not give).
  if (mode === 'child-process') lowerPriority(log);
  const rows: Row[] = [];
  try {
    await disableLimits(emulator);
    const ctx: BenchContext = { options: { quick }, emulator, log };
    for (const s of selected) {
      const t0 = Date.now();
      log(`\n> ${s.id} (${s.subject})`);
      try {
        const limit = s.timeoutMs ?? SCENARIO_TIMEOUT_MS;
        rows.push(...(await withTimeout(s.run(ctx), quick ? limit.quick : limit.full, s.id)));
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        log(`  ${err.message}`);
        rows.push(...unavailableRows(s.rows, err));
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await emulator.close();
  }

  const machine = machineInfo();
  process.stdout.write(`\n${renderTable(rows)}\n`);
  process.stdout.write(
    `\n${machine.cpus} x ${machine.model}, ${machine.memory}, Node ${machine.node}, ${machine.platform}; ${quick ? 'quick' : 'full'} run in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  const scenarios = rows.map((r) => ({
    name: r.name,
    value: r.value,
    unit: r.unit,
    yardstick: r.yardstick,
    yardstickValue: r.yardstickValue,
    ratio: r.ratio,
    target: r.target,
    pass: r.pass,
    ...(r.spread ? { spread: r.spread } : {}),
    ...(r.yardstickSpread ? { yardstickSpread: r.yardstickSpread } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));
  writeFileSync(values.out!, `${JSON.stringify({ machine: { ...machine, mode: quick ? 'quick' : 'full', emulator: mode }, scenarios }, null, 2)}\n`);
  log(`wrote ${values.out}`);
  return rows.every((r) => r.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
