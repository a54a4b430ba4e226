/**
 * From 90 days before the pinned Graph version ends (src/core/graph-versions.ts), the health
 * sweep raises one `graph_version_ending` alert, and one more once it has ended; the audit log
 * remembers it was raised, so restarts and later rounds stay quiet. After the end Facebook
 * answers the calls with the oldest version still served
 * (https://developers.facebook.com/docs/apps/versions), which may change what pagekeeper reads.
 */
import { describeGraphVersion, judgeGraphVersion, type GraphVersionVerdict } from '../core/graph-versions.js';
import type { PageKeeperContext } from '../context.js';

export const GRAPH_VERSION_EVENT = 'graph_version_ending';

export async function warnGraphVersion(ctx: PageKeeperContext): Promise<{ verdict: GraphVersionVerdict; alerted: boolean }> {
  const verdict = judgeGraphVersion(ctx.config.graphVersion, ctx.clock.now().getTime());
  if (verdict.state !== 'ending' && verdict.state !== 'ended') return { verdict, alerted: false };
  const states = { oldState: verdict.version, newState: verdict.state };
  if (await ctx.store.audit.hasEvent(GRAPH_VERSION_EVENT, states)) return { verdict, alerted: false };
  await ctx.store.audit.append({
    event: GRAPH_VERSION_EVENT,
    ...states,
    reason: describeGraphVersion(verdict),
    detail: {
      version: verdict.version,
      availableUntil: verdict.availableUntil,
      daysLeft: verdict.daysLeft,
      newest: verdict.newest,
      fix: `Set PAGEKEEPER_GRAPH_VERSION=${verdict.newest} (or unset it) after reading https://developers.facebook.com/docs/graph-api/changelog, then restart pagekeeper.`,
    },
  });
  ctx.logger.warn({ version: verdict.version, availableUntil: verdict.availableUntil, state: verdict.state }, 'the pinned Graph API version ends soon');
  return { verdict, alerted: true };
}
