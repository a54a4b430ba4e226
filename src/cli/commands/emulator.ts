/**
 * `pagekeeper emulator`: runs the Graph API emulator until SIGINT/SIGTERM. Prints exactly one
 * JSON line (the ready line) on stdout once it listens, nothing else; exits 0 when stopped.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pkError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../context.js';

interface EmulatorOptions {
  host?: string;
  port?: string;
  seed?: string;
  requireAppsecretProof?: boolean;
  latency?: string;
}

export async function run(ctx: CommandContext, _args: string[], options: Record<string, unknown>): Promise<CommandResult> {
  const opts = options as EmulatorOptions;
  const port = Number(opts.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw pkError('PK_USAGE', { detail: `--port must be a port number (0-65535), got "${opts.port}"` });
  const { startEmulator, parseSeed } = await import('../../emulator/index.js');
  const { parseLatency } = await import('../../emulator/latency.js');
  let latency;
  if (opts.latency !== undefined) {
    try {
      latency = parseLatency(opts.latency);
    } catch (e) {
      throw pkError('PK_USAGE', { detail: e instanceof Error ? e.message : String(e) });
    }
  }
  let seed;
  if (opts.seed) {
    const path = resolve(ctx.cwd, opts.seed);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw pkError('PK_USAGE', { detail: `cannot read the seed file ${path}: ${e instanceof Error ? e.message : String(e)}` });
    }
    try {
      seed = parseSeed(raw);
    } catch (e) {
      throw pkError('PK_USAGE', { detail: e instanceof Error ? e.message : String(e) });
    }
  }
  const emu = await startEmulator({
    host: opts.host ?? '127.0.0.1',
    port,
    ...(seed ? { seed } : {}),
    requireAppsecretProof: opts.requireAppsecretProof === true,
    ...(latency ? { latency } : {}),
  });
  const ready = { url: emu.url, dialogUrl: emu.dialogUrl, appId: emu.appId, appSecret: emu.appSecret, users: emu.users };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  if (!ctx.signal.aborted) await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
  await emu.close();
  return { data: undefined, human: '' };
}
