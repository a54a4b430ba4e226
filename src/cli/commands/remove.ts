/**
 * `pagekeeper remove <page-id> --yes`: removes a Page from pagekeeper: its waiting messages are
 * cancelled, its webhooks unsubscribed where a token still works, its tokens deleted. Connecting
 * it again brings it back. Without --yes nothing is done (the dashboard asks the same question).
 */
import { pkError } from '../../errors.js';
import type { RemovePageResult } from '../../tokens/remove-page.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export async function run(ctx: CommandContext, args: string[], options: { yes?: boolean }): Promise<CommandResult<RemovePageResult>> {
  const id = args[0];
  if (id === undefined || !/^\d{1,32}$/.test(id)) throw pkError('PK_USAGE', { detail: 'give the numeric id of the Page to remove: pagekeeper remove <page-id> --yes (see `pagekeeper pages`)' });
  if (options.yes !== true) {
    throw pkError('PK_USAGE', { detail: `removing Page ${id} cancels its waiting messages and deletes its tokens; run again with --yes to do it` });
  }
  const r = await withPageKeeper(ctx, (pk) => pk.removePage(id));
  const human = `Removed Page ${id}: ${r.cancelledMessages} waiting message(s) cancelled, ${r.tokensDeleted} token(s) deleted, webhooks ${r.unsubscribed ? 'unsubscribed' : 'not unsubscribed (no working token; Facebook stops on its own once the app loses the Page)'}.\nConnect it again to bring it back.`;
  return { data: r, human };
}
