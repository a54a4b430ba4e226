/**
 * `pagekeeper check`: inspects every stored token (debug_token in batches of 50) and reports
 * each Page's health. Exits 1 when any Page needs attention, so cron and CI can alert on it.
 */
import type { SweepResult } from '../../health/sweep.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';
import { paint, statusWord, table } from '../output.js';
import type { WatchSummary } from '../watch-health.js';
import { showInvisible } from '../../core/visible-text.js';

export interface CheckJson {
  checked: number;
  healthy: number;
  pages: { id: string; status: string; reason: string | null; fix: string | null }[];
  /** Webhook subscriptions read in this sweep; Pages Facebook had dropped and that were subscribed again, or could not be. */
  subscriptions: { read: number; failed: number; resubscribed: string[]; stillUnsubscribed: string[] };
}

export async function run(ctx: CommandContext, _args: string[] = [], options: { watch?: boolean; every?: string } = {}): Promise<CommandResult<CheckJson | WatchSummary>> {
  // --watch: periodic, budget-paced sweeps in the foreground until Ctrl-C (src/cli/watch-health.ts).
  if (options.watch) return (await import('../run-check-watch.js')).runCheckWatch(ctx, options);
  const showProgress = ctx.stderr.isTTY === true;
  const result = await withPageKeeper(ctx, (pk) =>
    pk.check({
      signal: ctx.signal,
      onProgress: showProgress ? ({ inspected, total }) => ctx.stderr.write(`\rChecking tokens: ${inspected}/${total}`) : undefined,
    }),
  );
  if (showProgress && result.tokens.inspected > 0) ctx.stderr.write('\n');
  const data: CheckJson = {
    checked: result.checked,
    healthy: result.healthy,
    pages: result.pages.map((p) => ({ id: p.id, status: p.status, reason: p.reason, fix: p.fix })),
    subscriptions: result.subscriptions,
  };
  return { data, human: human(result, ctx.color), exitCode: result.healthy === result.checked ? 0 : 1 };
}

function human(r: SweepResult, color: boolean): string {
  const p = paint(color);
  if (r.checked === 0) return 'No pages connected yet. Run `pagekeeper connect` first.';
  const out = [
    table(
      ['PAGE', 'NAME', 'STATUS'],
      r.pages.map((x) => [x.id, showInvisible(x.name), statusWord(x.status, p)]),
      p,
    ),
  ];
  for (const x of r.pages.filter((y) => y.status !== 'healthy' || y.warning)) {
    out.push('', `${p.bold(showInvisible(x.name))} (${x.id}): ${x.reason ?? x.warning ?? ''}${x.fix ? `\n  fix: ${x.fix}` : ''}`);
  }
  const bad = r.checked - r.healthy;
  out.push('', bad === 0 ? p.ok(`All ${r.checked} pages are healthy.`) : p.bad(`${bad} of ${r.checked} pages need attention.`));
  if (r.tokens.failed > 0) out.push(p.warn(`${r.tokens.failed} tokens could not be inspected this time (temporary errors); run check again.`));
  const s = r.subscriptions;
  if (s.resubscribed.length > 0) out.push(p.warn(`Facebook had dropped the webhook subscription of ${s.resubscribed.join(', ')}; subscribed again.`));
  if (s.stillUnsubscribed.length > 0) out.push(p.bad(`${s.stillUnsubscribed.join(', ')} receive no webhooks: subscribing failed; see \`pagekeeper pages\`.`));
  if (s.failed > 0) out.push(p.warn(`${s.failed} webhook subscriptions could not be read this time (temporary errors).`));
  return out.join('\n');
}
