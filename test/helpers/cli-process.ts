/**
 * Runs the pagekeeper CLI as ONE node process (tsx as an --import loader, not the tsx wrapper
 * that forks a second process), so SIGKILL really kills the command mid-way. Also used to
 * collect every byte a command prints for the leak test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cliCommand } from './cli-command.js';

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited (killed or not). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>;
}

export interface SpawnCliOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Hard stop (SIGKILL) so no test can hang on a command; reported as timedOut. */
  timeoutMs?: number;
}

export function spawnCli(args: string[], options: SpawnCliOptions): CliRun {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...options.env };
  const [command, ...pre] = cliCommand();
  const child = spawn(command, [...pre, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Awaited<CliRun['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  child.stdin.on('error', () => {}); // the command may exit before reading stdin
  child.stdin.end(options.input ?? '');
  return { child, done };
}

export function runCliProcess(args: string[], options: SpawnCliOptions): CliRun['done'] {
  return spawnCli(args, options).done;
}
