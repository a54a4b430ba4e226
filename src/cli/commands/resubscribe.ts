/**
 * `pagekeeper resubscribe <page-id>`: subscribes the app to the Page's webhooks again, now, with
 * PAGEKEEPER_WEBHOOK_FIELDS. Exits 1 when Facebook refused, saying why and what to do.
 */
import { pkError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export interface ResubscribeJson {
  pageId: string;
  subscribed: boolean;
  fields: string[];
  reason: string | null;
  fix: string | null;
}

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<ResubscribeJson>> {
  const id = args[0];
  if (id === undefined || !/^\d{1,32}$/.test(id)) throw pkError('PK_USAGE', { detail: 'give the numeric id of the Page: pagekeeper resubscribe <page-id> (see `pagekeeper pages`)' });
  const s = await withPageKeeper(ctx, (pk) => pk.resubscribe(id));
  const data = { pageId: id, subscribed: s.subscribed, fields: s.fields, reason: s.reason, fix: s.fix };
  const human = s.subscribed ? `Page ${id} is subscribed to webhooks: ${s.fields.join(', ')}.` : `Page ${id} is not subscribed: ${s.reason ?? 'Facebook refused'}${s.fix ? `\n  fix: ${s.fix}` : ''}`;
  return { data, human, exitCode: s.subscribed ? 0 : 1 };
}
