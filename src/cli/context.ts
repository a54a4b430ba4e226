import type { Readable, Writable } from 'node:stream';

/** What every CLI command receives: where it runs and how to talk to the person. */
export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  /** For progress and prompts only: a command's result goes through its return value. */
  stderr: Writable & { isTTY?: boolean };
  json: boolean;
  color: boolean;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop when it fires. */
  signal: AbortSignal;
  /** Wall clock in ms; tests run a command in-process with their own. Default Date.now. */
  now?: () => number;
}

/** A command's outcome: `data` is printed with --json, `human` otherwise. */
export interface CommandResult<T = unknown> {
  data: T;
  human?: string;
  /** Exit code when the command finished but reports a problem (e.g. `check` finding unhealthy pages). */
  exitCode?: number;
}

export type CommandRun<A extends unknown[] = string[], O = Record<string, unknown>> = (
  ctx: CommandContext,
  args: A,
  options: O,
) => Promise<CommandResult>;
