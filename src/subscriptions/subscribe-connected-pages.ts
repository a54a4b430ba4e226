/**
 * After connect: subscribes every connected Page whose token can to the app's webhooks with
 * PAGEKEEPER_WEBHOOK_FIELDS, records each outcome, and says for every other Page why not and
 * what to do. A Page that cannot be subscribed stays connected: its tokens work all the same,
 * only its Messenger webhooks do not arrive. Without this, "connected but no messages arrive"
 * (https://developers.facebook.com/docs/messenger-platform/webhooks#connect-your-app).
 */
import type { PageKeeperContext } from '../context.js';
import { describeSubscriptionProblem, NO_METADATA_PERMISSION } from './describe-subscription-problem.js';
import { subscribePages, type SubscriptionTarget } from './page-subscription-calls.js';
import { DEFAULT_WEBHOOK_FIELDS } from '../core/webhook-fields.js';

/** A Page's subscription as connect, `pages` and the API report it. */
export interface PageSubscription {
  subscribed: boolean;
  fields: string[];
  /** Why the Page is not subscribed; null when it is. */
  reason: string | null;
  fix: string | null;
}

export interface ConnectedTarget extends SubscriptionTarget {
  /** Whether the token can subscribe (canManageSubscription); when false no call is made. */
  canManage: boolean;
}

/**
 * Starts the subscription calls at once and records their outcomes when `finish` is called: connect
 * stores the Pages meanwhile, so the calls' round trip (50-300 ms against graph.facebook.com)
 * overlaps the store instead of following it. The calls never throw but on an abort.
 */
export function beginSubscribing(
  ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'store' | 'clock' | 'logger'>,
  targets: readonly ConnectedTarget[],
  options: { signal?: AbortSignal } = {},
): { finish(): Promise<Map<string, PageSubscription>>; settled(): Promise<void> } {
  const fields = [...(ctx.config.webhookFields ?? DEFAULT_WEBHOOK_FIELDS)];
  const able = targets.filter((t) => t.canManage);
  const calls = subscribePages(ctx, able, fields, options);
  // Also handles the rejection, so an abort while the Pages are being stored is never unhandled.
  const settled = calls.then(
    () => {},
    () => {},
  );
  return {
    finish: async () => recordOutcomes(ctx, targets, able, fields, await calls),
    settled: () => settled,
  };
}

/** Subscribes and records in one go: `beginSubscribing(...).finish()`. */
export async function subscribeConnectedPages(
  ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'store' | 'clock' | 'logger'>,
  targets: readonly ConnectedTarget[],
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, PageSubscription>> {
  return beginSubscribing(ctx, targets, options).finish();
}

async function recordOutcomes(
  ctx: Pick<PageKeeperContext, 'store' | 'clock' | 'logger'>,
  targets: readonly ConnectedTarget[],
  able: readonly ConnectedTarget[],
  fields: string[],
  written: Awaited<ReturnType<typeof subscribePages>>,
): Promise<Map<string, PageSubscription>> {
  const out = new Map<string, PageSubscription>();
  const unable = targets.filter((t) => !t.canManage);
  // A Page another admin's token already subscribed stays subscribed: this token just cannot tell.
  const known = await ctx.store.subscriptions.list(unable.map((t) => t.pageId));
  const keep = new Set<string>();
  for (const t of unable) {
    const k = known.get(t.pageId);
    if (k?.subscribed === true) {
      keep.add(t.pageId);
      out.set(t.pageId, { subscribed: true, fields: k.fields, reason: null, fix: null });
    } else out.set(t.pageId, { subscribed: false, fields: [], reason: NO_METADATA_PERMISSION.reason, fix: NO_METADATA_PERMISSION.fix });
  }
  able.forEach((t, i) => {
    const w = written[i]!;
    if (w.ok) out.set(t.pageId, { subscribed: true, fields, reason: null, fix: null });
    else out.set(t.pageId, { subscribed: false, fields: [], ...describeSubscriptionProblem(w.error) });
  });
  const now = ctx.clock.now();
  const records = [...out].filter(([pageId]) => !keep.has(pageId)).map(([pageId, s]) => ({ pageId, subscribed: s.subscribed, fields: s.fields, checkedAt: now, problem: s.reason, fix: s.fix }));
  await ctx.store.transaction((tx) => tx.subscriptions.recordMany(records));
  const failed = [...out.values()].filter((s) => !s.subscribed).length;
  if (failed > 0) ctx.logger.warn({ pages: targets.length, notSubscribed: failed }, 'some pages could not be subscribed to webhooks');
  return out;
}
