/**
 * `pagekeeper keys rotate`: re-encrypts every stored token under the active (first) key in
 * PAGEKEEPER_KEYS, in batches; safe to interrupt and run again. To rotate: put a new key first,
 * keep the old one after it, run this, then drop the old key.
 */
import { pkError } from '../../errors.js';
import { createStore } from '../../store/create-store.js';
import { rotateKeys } from '../../store/rotate-keys.js';
import type { CommandContext, CommandResult } from '../context.js';
import { cliConfig } from '../open-page-keeper.js';

export interface RotateJson {
  activeKeyId: string;
  rotated: number;
  remaining: number;
}

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult<RotateJson>> {
  const [action, ...rest] = args;
  if (action !== 'rotate' || rest.length > 0) throw pkError('PK_USAGE', { detail: 'usage: pagekeeper keys rotate [--batch-size N]' });
  const batchSize = options.batchSize === undefined ? undefined : Number(options.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw pkError('PK_USAGE', { detail: '--batch-size must be a positive whole number' });
  const config = cliConfig(ctx);
  const store = await createStore({ database: config.database, keys: config.keys, cwd: ctx.cwd });
  try {
    const showProgress = ctx.stderr.isTTY === true;
    const result = await rotateKeys(store, {
      batchSize,
      onProgress: ({ table, rotated }) => {
        if (showProgress) ctx.stderr.write(`\rRe-encrypting ${table}: ${rotated} done`);
      },
    });
    if (showProgress && result.rotated > 0) ctx.stderr.write('\n');
    const activeKeyId = store.keyring.activeKeyId;
    const human =
      result.remaining === 0
        ? `Every stored token is encrypted with key "${activeKeyId}" (${result.rotated} re-encrypted now). Older keys can be removed from PAGEKEEPER_KEYS.`
        : `${result.rotated} re-encrypted; ${result.remaining} still use another key (written meanwhile by a process with an older key list). Run \`pagekeeper keys rotate\` again.`;
    return { data: { activeKeyId, ...result }, human, exitCode: result.remaining === 0 ? 0 : 1 };
  } finally {
    await store.close();
  }
}
