/**
 * `pagekeeper token <page-id>`: prints the Page token alone, for piping
 * (`curl ... -d access_token=$(pagekeeper token 123)`). The only command that prints a token.
 */
import { pkError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<{ id: string; token: string }>> {
  const [pageId, ...rest] = args;
  if (!pageId || rest.length > 0 || !/^\d+$/.test(pageId)) throw pkError('PK_USAGE', { detail: 'usage: pagekeeper token <page-id> (a numeric Page id; see `pagekeeper pages`)' });
  const token = await withPageKeeper(ctx, (pk) => pk.page(pageId).token());
  return { data: { id: pageId, token }, human: token };
}
