/**
 * `pagekeeper retry <message-id>`: a failed or unknown message is queued again as a NEW message
 * (its own id and idempotency key) linked to the old one, which is kept. Asking twice gives the
 * same retry. A running `pagekeeper serve` (or any outbox worker) sends it.
 */
import { pkError } from '../../errors.js';
import type { RetryResult } from '../../messenger/outbox-console.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<RetryResult>> {
  const id = args[0];
  if (id === undefined || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw pkError('PK_USAGE', { detail: 'give the id of the message to retry: pagekeeper retry msg_... (see `pagekeeper messages --status failed`)' });
  const r = await withPageKeeper(ctx, (pk) => pk.messenger.console.retry(id));
  const human = r.duplicate
    ? `${id} was retried already, as ${r.id} (${r.status}).`
    : `Queued ${r.id}, a retry of ${id}. A running \`pagekeeper serve\` sends it; follow it with \`pagekeeper messages --page <page-id>\`.`;
  return { data: r, human };
}
