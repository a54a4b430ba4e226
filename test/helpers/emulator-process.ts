/**
 * The emulator in a process of its own: `pagekeeper emulator --port 0` through tsx, its ready
 * line read from stdout, and the typed control API (src/emulator/index.ts `emulatorControl`)
 * over HTTP. A bench whose client shares a process with an in-process emulator also shares its
 * event loop and heap: a garbage collection of the client's heap holds the emulator's sends
 * back, and released together they land in one of the emulator's fixed one-second windows
 * (613s that graph.facebook.com, on machines of its own, would not answer). No vitest import
 * (the bench uses it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { emulatorControl, type EmulatorInfo, type RunningEmulator } from '../../src/emulator/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const STARTUP_TIMEOUT_MS = 30_000;

export interface EmulatorProcess {
  info: EmulatorInfo;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Starts `pagekeeper emulator --port 0 [args]` and resolves with its ready line. */
export async function spawnEmulator(args: string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill('SIGKILL'), STARTUP_TIMEOUT_MS);
  try {
    const info = await new Promise<EmulatorInfo>((resolve, reject) => {
      lines.on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as EmulatorInfo;
          if (typeof parsed.url === 'string') resolve(parsed);
        } catch {
          // not the JSON line; the emulator may log other things first
        }
      });
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening: ${stderr.trim()}`)));
      child.once('error', reject);
    });
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    };
    return { info, child, stop };
  } finally {
    clearTimeout(timer);
  }
}

/** An emulator process driven like `startEmulator()`'s: the same fields, `control` over HTTP, `pid` to set its priority. */
export async function startEmulatorProcess(): Promise<RunningEmulator & { pid: number }> {
  const started = await spawnEmulator();
  const { info } = started;
  // Control calls on connections of their own, apart from the ones under test.
  const agent = new Agent({ connections: 4 });
  const control = emulatorControl(async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await request(new URL(`/_emulator/${path.replace(/^\/+/, '')}`, info.url), {
      method,
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (res.statusCode >= 300) throw new Error(`emulator control ${method} ${path} failed (${res.statusCode}): ${(json as { error?: string })?.error ?? text}`);
    return json as T;
  });
  return {
    ...info,
    pid: started.child.pid!,
    control,
    close: async () => {
      await agent.close();
      await started.stop();
    },
  };
}

/**
 * The emulator stands for Facebook's servers: a bench gives it the priority the bench process
 * had before lowering its own (bench/run.ts). Only root may raise a priority; elsewhere it stays
 * at the instances' level.
 */
export function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, 0);
  } catch {
    // not permitted: the emulator competes with the instances as an equal
  }
}
