/**
 * A bench-side server in its own process (node with tsx's loader, like test/helpers/instances.ts):
 * it prints one JSON ready line on stdout (any line with `url`), later JSON lines are events
 * (`{"event": ...}`), and it stops on SIGTERM. Keeping the server in a child process means the
 * load generator in the bench process never shares its event loop; every side of a comparison
 * is started the same way.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { ROOT } from './emulator-process.js';

const TSX_LOADER = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;
const TSX_PREFLIGHT = `${ROOT}node_modules/tsx/dist/preflight.cjs`;

export interface ChildServer<T> {
  ready: T & { url: string };
  pid: number;
  /** Resolves with the first JSON line whose `event` is `name`. */
  waitFor: <E = Record<string, unknown>>(name: string, timeoutMs: number) => Promise<E>;
  /** Sends a signal (e.g. SIGUSR2 to a probe). */
  signal: (name: NodeJS.Signals) => void;
  stderr: () => string;
  stop: () => Promise<void>;
}

export interface ChildServerOptions {
  /** Node options before the script (e.g. `--import` of a small probe). */
  nodeArgs?: string[];
  /** Also read the child's JSON log lines on stderr as events, named by their `msg` (pino). */
  logEvents?: boolean;
}

/**
 * Starts `script` (a path under the repository) and waits for its ready line; a `.mjs` or `.js`
 * script runs on plain node, without tsx (the built CLI is `dist/cli/main.js`).
 */
export async function startChildServer<T>(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, options: ChildServerOptions = {}): Promise<ChildServer<T>> {
  const loader = /\.m?js$/.test(script) ? [] : ['--require', TSX_PREFLIGHT, '--import', TSX_LOADER];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...loader, ...(options.nodeArgs ?? []), `${ROOT}${script}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  let buffer = '';
  const events: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  let errBuffer = '';
  const push = (e: Record<string, unknown>) => {
    events.push(e);
    for (const l of listeners) l();
  };
  /** Complete lines of `chunk` after what was left of the last one. */
  const lines = (rest: string, chunk: string, each: (line: string) => void): string => {
    let buf = rest + chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      each(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    return buf;
  };
  const json = (line: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(line);
      return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
    if (options.logEvents) {
      errBuffer = lines(errBuffer, d.toString(), (line) => {
        const e = json(line);
        if (e && typeof e.msg === 'string') push({ ...e, event: e.msg });
      });
    }
  });
  child.stdout.on('data', (d: Buffer) => {
    buffer = lines(buffer, d.toString(), (line) => {
      const e = json(line);
      if (e) push(e);
    });
  });
  child.stdin.on('error', () => {});
  const exited = once(child, 'exit');

  const waitUntil = <E>(pick: (e: Record<string, unknown>) => boolean, what: string, ms: number) =>
    new Promise<E>((resolve, reject) => {
      const check = () => {
        const e = events.find(pick);
        if (!e) return false;
        cleanup();
        resolve(e as E);
        return true;
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before ${what}: ${err.trim().slice(-1500)}`));
      };
      const t = setTimeout(() => {
        cleanup();
        reject(new Error(`${script} printed no ${what} within ${ms / 1000} s: ${err.trim().slice(-1500)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(t);
        listeners.delete(check);
        child.off('exit', onExit);
      };
      if (check()) return;
      listeners.add(check);
      child.once('exit', onExit);
    });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  try {
    const ready = await waitUntil<T & { url: string }>((e) => typeof e.url === 'string', 'ready line', timeoutMs);
    return {
      ready,
      pid: child.pid!,
      waitFor: (name, ms) => waitUntil((e) => e.event === name, `"${name}"`, ms),
      signal: (name) => child.kill(name),
      stderr: () => err,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
