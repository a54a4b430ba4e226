/** `pagekeeper pages`: every connected Page, its health and when its token expires ("never"). */
import type { InstagramView } from '../../tokens/instagram-capability.js';
import type { PageSummary } from '../../pagekeeper.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';
import { expiry, iso, paint, relativeTime, statusWord, table } from '../output.js';
import { showInvisible } from '../../core/visible-text.js';

export interface PagesJson {
  pages: {
    id: string;
    name: string;
    tasks: string[];
    status: string;
    reason: string | null;
    tokenExpiresAt: string | null;
    dataAccessExpiresAt: string | null;
    lastCheckedAt: string | null;
    /** docs/instagram.md */
    instagram: InstagramView;
    subscription: { subscribed: boolean; fields: string[]; checkedAt: string | null; reason: string | null; fix: string | null };
  }[];
}

export async function run(ctx: CommandContext): Promise<CommandResult<PagesJson>> {
  const pages = await withPageKeeper(ctx, (pk) => pk.pages());
  const data: PagesJson = {
    pages: pages.map((p) => ({
      id: p.id,
      name: p.name,
      tasks: p.tasks,
      status: p.status,
      reason: p.reason,
      tokenExpiresAt: iso(p.tokenExpiresAt),
      dataAccessExpiresAt: iso(p.dataAccessExpiresAt),
      lastCheckedAt: iso(p.lastCheckedAt),
      instagram: p.instagram,
      subscription: { ...p.subscription, checkedAt: iso(p.subscription.checkedAt) },
    })),
  };
  return { data, human: human(pages, ctx.color) };
}

function human(pages: PageSummary[], color: boolean): string {
  if (pages.length === 0) return 'No pages connected yet. Run `pagekeeper connect` (or `pagekeeper connect --browser`).';
  const p = paint(color);
  const rows = pages.map((x) => [
    x.id,
    showInvisible(x.name),
    statusWord(x.status, p),
    x.tokens.valid === 0 ? 'no valid token' : expiry(x.tokenExpiresAt),
    x.dataAccessExpiresAt ? expiry(x.dataAccessExpiresAt) : 'unknown',
    x.lastCheckedAt ? relativeTime(x.lastCheckedAt) : 'never',
    x.subscription.subscribed ? 'yes' : x.subscription.checkedAt === null ? 'unknown' : 'no',
  ]);
  const out = [table(['PAGE', 'NAME', 'STATUS', 'TOKEN EXPIRES', 'DATA ACCESS ENDS', 'LAST CHECKED', 'WEBHOOKS'], rows, p)];
  for (const x of pages.filter((y) => y.status !== 'healthy' || y.warning)) {
    out.push('', `${p.bold(showInvisible(x.name))} (${x.id}): ${x.reason ?? x.warning ?? ''}${x.fix ? `\n  fix: ${x.fix}` : ''}`);
  }
  for (const x of pages.filter((y) => !y.subscription.subscribed && y.subscription.checkedAt !== null)) {
    out.push('', `${p.bold(x.name)} (${x.id}) receives no webhooks: ${x.subscription.reason ?? ''}${x.subscription.fix ? `\n  fix: ${x.subscription.fix}` : ''}`);
  }
  return out.join('\n');
}
