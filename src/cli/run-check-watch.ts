/**
 * The CLI side of `pagekeeper check --watch [--every 6h]`, kept beside the scheduler so
 * check.ts only dispatches to it: opens a PageKeeper from the CLI configuration, watches until
 * SIGINT, prints one line per round on stderr, and returns the totals.
 */
import type { CommandContext, CommandResult } from './context.js';
import { cliConfig, withPageKeeper } from './open-page-keeper.js';
import { notifiersFromConfig } from '../notify/notifiers-from-config.js';
import { parseDuration } from '../health/parse-duration.js';
import { watchHealth, type WatchSummary } from './watch-health.js';

export async function runCheckWatch(ctx: CommandContext, options: { every?: string }): Promise<CommandResult<WatchSummary>> {
  const every = parseDuration(options.every ?? '6h');
  const notifiers = notifiersFromConfig(cliConfig(ctx));
  const summary = await withPageKeeper(ctx, (pk) =>
    watchHealth(pk, {
      every,
      signal: ctx.signal,
      notifiers,
      onRound: (r) =>
        ctx.stderr.write(
          `${r.finishedAt.toISOString()} checked ${r.inspected} tokens in ${r.calls} calls; ${r.invalidated} lost; ${r.changed.length} pages changed${r.pauses > 0 ? `; paused ${r.pauses}x for the rate budget` : ''}${r.complete ? '' : '; more next round'}\n`,
        ),
    }),
  );
  return { data: summary, human: `Stopped after ${summary.rounds} rounds: ${summary.inspected} tokens checked, ${summary.invalidated} lost, ${summary.changed} page changes.` };
}
