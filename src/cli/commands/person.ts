/**
 * `pagekeeper person <page-id> <psid> [--json]`: who a PSID is on a Page, from Facebook's User
 * Profile API (name and picture). Only people who wrote to that Page can be looked up
 * (PK_PERSON_NOT_FOUND otherwise). The name is printed for the person who asked, never logged.
 */
import { pkError } from '../../errors.js';
import type { PersonProfile } from '../../messenger/person-profile.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

const USAGE = 'usage: pagekeeper person <page-id> <psid> [--json]';

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<PersonProfile>> {
  const [pageId, psid] = args;
  if (!pageId || !/^\d{1,32}$/.test(pageId) || !psid || !/^\d{1,32}$/.test(psid)) throw pkError('PK_USAGE', { detail: `${USAGE} (both ids are numeric)` });
  const person = await withPageKeeper(ctx, (pk) => pk.page(pageId).profile(psid));
  const human = [person.name ?? '(no name)', person.profilePic ? `picture: ${person.profilePic}` : ''].filter(Boolean).join('\n');
  return { data: person, human };
}
