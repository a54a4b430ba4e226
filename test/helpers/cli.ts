/**
 * Runs the pagekeeper CLI as a subprocess, the way a person does (see cli-command.ts for which
 * build). NO_COLOR keeps output comparable.
 */
import { spawn } from 'node:child_process';
import { cliCommand } from './cli-command.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  /** Called with each stderr chunk, e.g. to read the login URL while the command waits. */
  onStderr?: (chunk: string) => void;
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...options.env };
    const [command, ...pre] = cliCommand();
    const child = spawn(command, [...pre, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(d.toString());
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Parses the one JSON document a `--json` command prints, with the output in the failure message. */
export function parseJsonOutput<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not one JSON document (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
