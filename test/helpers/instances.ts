/**
 * Several pagekeeper instances as separate processes on one database: each runs
 * test/helpers/instance-process.ts through tsx. No vitest import, so the bench can use it too.
 *
 *   const a = await spawnInstance('outbox', env, 'a');   // resolves once it printed "ready"
 *   a.go();                                               // start working
 *   a.kill('SIGKILL');  await a.exited;
 *   await stopAll([a, b, c]);                             // what a test's clean-up calls
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// node with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild, which a
// SIGKILL or SIGSTOP sent to the CLI would never reach.
const tsxLoader = `${root}node_modules/tsx/dist/loader.mjs`;
const tsxPreflight = `${root}node_modules/tsx/dist/preflight.cjs`;
const script = `${root}test/helpers/instance-process.ts`;

export interface InstanceEvent {
  event: string;
  [key: string]: unknown;
}

export interface Instance {
  readonly id: string;
  readonly pid: number;
  /** Every JSON line printed so far. */
  readonly events: InstanceEvent[];
  /** stderr so far (for failure messages). */
  stderr(): string;
  /** Starts the work (the `go` line). */
  go(): void;
  /** Asks for a graceful stop (outbox mode). */
  stop(): void;
  /** Asks the outbox worker to look for due messages now (outbox mode). */
  wake(): void;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the first event of that name. */
  waitFor(event: string, timeoutMs?: number): Promise<InstanceEvent>;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

/** Spawns one instance and waits for its ready line. `env` holds PAGEKEEPER_* and PK_* settings. */
export async function spawnInstance(mode: 'outbox' | 'sweep', env: Record<string, string>, id: string): Promise<Instance> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--require', tsxPreflight, '--import', pathToFileURL(tsxLoader).href, script, mode], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env, PK_INSTANCE_ID: id },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: InstanceEvent[] = [];
  const waiters: Array<{ event: string; resolve: (e: InstanceEvent) => void }> = [];
  let err = '';
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let e: InstanceEvent;
      try {
        e = JSON.parse(line) as InstanceEvent;
      } catch {
        continue;
      }
      events.push(e);
      for (const w of waiters.filter((x) => x.event === e.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => {});
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));

  const instance: Instance = {
    id,
    pid: child.pid!,
    events,
    stderr: () => err,
    go: () => child.stdin.write('go\n'),
    stop: () => child.stdin.write('stop\n'),
    wake: () => child.stdin.write('wake\n'),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor(event, timeoutMs = 60_000) {
      const seen = events.find((e) => e.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`instance ${id} printed no "${event}" within ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`)), timeoutMs);
        const done = (e: InstanceEvent) => {
          clearTimeout(t);
          resolve(e);
        };
        waiters.push({ event, resolve: done });
        void exited.then((code) => {
          if (!events.some((e) => e.event === event)) {
            clearTimeout(t);
            reject(new Error(`instance ${id} exited (${code}) before "${event}"; stderr:\n${err.slice(-2000)}`));
          }
        });
      });
    },
    exited,
  };
  await instance.waitFor('ready');
  return instance;
}

/** Stops whatever is still running: a graceful stop first, SIGKILL after `graceMs`. */
export async function stopAll(instances: readonly Instance[], graceMs = 5_000): Promise<void> {
  await Promise.all(
    instances.map(async (i) => {
      i.stop();
      i.kill('SIGTERM');
      const t = setTimeout(() => i.kill('SIGKILL'), graceMs);
      await i.exited;
      clearTimeout(t);
    }),
  );
}
