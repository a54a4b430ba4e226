/** `pagekeeper cancel <message-id>`: a queued or held message is cancelled and never sent. */
import { pkError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<{ id: string; status: string }>> {
  const id = args[0];
  if (id === undefined || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw pkError('PK_USAGE', { detail: 'give the id of the message to cancel: pagekeeper cancel msg_... (see `pagekeeper messages --status queued`)' });
  const m = await withPageKeeper(ctx, (pk) => pk.messenger.console.cancel(id));
  return { data: { id: m.id, status: m.status }, human: `Cancelled ${m.id}: it will not be sent.` };
}
