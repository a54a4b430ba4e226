/**
 * The health sweep's part for webhooks: reads each swept Page's subscription
 * (`GET /{page-id}/subscribed_apps`, batched) with a token the sweep just found valid, records
 * it, and subscribes again a Page whose subscription is gone, once per change: Facebook drops
 * the app from a Page after an hour of failed deliveries
 * (https://developers.facebook.com/docs/messenger-platform/webhooks), and then nothing arrives.
 * A drop found is an alert (`subscription_dropped`), saying whether pagekeeper repaired it. A
 * Page already known to be unsubscribed is not tried again until its state changes (a
 * reconnect, or Facebook showing it subscribed); a failed read leaves the stored state as is.
 */
import type { StoredSubscription } from '../store/subscription-repository.js';
import type { PageKeeperContext } from '../context.js';
import { describeSubscriptionProblem, NO_METADATA_PERMISSION } from './describe-subscription-problem.js';
import { readSubscriptions, subscribePages, type SubscriptionTarget } from './page-subscription-calls.js';
import { DEFAULT_WEBHOOK_FIELDS } from '../core/webhook-fields.js';

export interface RefreshTarget extends SubscriptionTarget {
  /** Whether the token can read and write the subscription (canManageSubscription). */
  canManage: boolean;
}

export interface RefreshedSubscriptions {
  /** Pages whose subscription was read. */
  read: number;
  /** Reads that failed (kept their stored state). */
  failed: number;
  /** Pages found unsubscribed that pagekeeper subscribed again. */
  resubscribed: string[];
  /** Pages found unsubscribed that could not be subscribed again. */
  stillUnsubscribed: string[];
  /** Batch calls made. */
  calls: number;
}

/** What to do with one Page after its read. Pure. */
export function decideSubscriptionRepair(stored: StoredSubscription | undefined, read: { subscribed: boolean }): 'record' | 'resubscribe' {
  if (read.subscribed) return 'record';
  // Known unsubscribed already (a failed repair, no permission): once per change, not once per sweep.
  if (stored?.subscribed === false) return 'record';
  return 'resubscribe';
}

export async function refreshSubscriptions(
  ctx: Pick<PageKeeperContext, 'graph' | 'config' | 'store' | 'clock' | 'logger'>,
  targets: readonly RefreshTarget[],
  options: { source: 'check' | 'scheduled_check'; signal?: AbortSignal },
): Promise<RefreshedSubscriptions> {
  const out: RefreshedSubscriptions = { read: 0, failed: 0, resubscribed: [], stillUnsubscribed: [], calls: 0 };
  if (targets.length === 0) return out;
  const fields = [...(ctx.config.webhookFields ?? DEFAULT_WEBHOOK_FIELDS)];
  const stored = await ctx.store.subscriptions.list(targets.map((t) => t.pageId));
  const able = targets.filter((t) => t.canManage);
  const reads = await readSubscriptions(ctx, able, options);
  if (able.length > 0) out.calls += Math.ceil(able.length / 50);

  const record: Array<{ pageId: string; subscribed: boolean; fields: string[]; problem: string | null; fix: string | null }> = [];
  const repair: RefreshTarget[] = [];
  const wasSubscribed = new Set<string>();
  for (const t of targets) {
    // A token without pages_manage_metadata can neither read nor write it: say so once.
    if (!t.canManage && (stored.get(t.pageId)?.subscribed ?? null) === null) record.push({ pageId: t.pageId, subscribed: false, fields: [], problem: NO_METADATA_PERMISSION.reason, fix: NO_METADATA_PERMISSION.fix });
  }
  able.forEach((t, i) => {
    const r = reads[i]!;
    if (!r.ok) {
      out.failed++;
      return;
    }
    out.read++;
    const before = stored.get(t.pageId);
    if (decideSubscriptionRepair(before, r) === 'resubscribe') {
      repair.push(t);
      if (before?.subscribed === true) wasSubscribed.add(t.pageId);
    } else if (r.subscribed) record.push({ pageId: t.pageId, subscribed: true, fields: r.fields, problem: null, fix: null });
    else record.push({ pageId: t.pageId, subscribed: false, fields: [], problem: before?.problem ?? null, fix: before?.fix ?? null });
  });

  const written = await subscribePages(ctx, repair, fields, options);
  if (repair.length > 0) out.calls += Math.ceil(repair.length / 50);
  const now = ctx.clock.now();
  const alerts: Array<{ pageId: string; repaired: boolean; reason: string; fix: string | null; graphCode: number | null }> = [];
  repair.forEach((t, i) => {
    const w = written[i]!;
    if (w.ok) {
      out.resubscribed.push(t.pageId);
      record.push({ pageId: t.pageId, subscribed: true, fields, problem: null, fix: null });
      if (wasSubscribed.has(t.pageId)) alerts.push({ pageId: t.pageId, repaired: true, reason: 'Facebook dropped the webhook subscription; pagekeeper subscribed the Page again', fix: null, graphCode: null });
    } else {
      out.stillUnsubscribed.push(t.pageId);
      const p = describeSubscriptionProblem(w.error);
      record.push({ pageId: t.pageId, subscribed: false, fields: [], problem: p.reason, fix: p.fix });
      if (wasSubscribed.has(t.pageId)) alerts.push({ pageId: t.pageId, repaired: false, reason: `Facebook dropped the webhook subscription and subscribing again failed: ${p.reason}`, fix: p.fix, graphCode: w.error.code });
    }
  });

  await ctx.store.transaction(async (tx) => {
    await tx.subscriptions.recordMany(record.map((r) => ({ ...r, checkedAt: now })));
    for (const a of alerts) {
      await tx.audit.append({
        event: 'subscription_dropped',
        pageId: a.pageId,
        oldState: 'subscribed',
        newState: a.repaired ? 'subscribed' : 'unsubscribed',
        reason: a.reason,
        detail: { source: options.source, repaired: a.repaired, fix: a.fix, graphCode: a.graphCode, fields },
      });
    }
  });
  if (alerts.length > 0) ctx.logger.warn({ dropped: alerts.length, repaired: alerts.filter((a) => a.repaired).length }, 'webhook subscriptions dropped by Facebook');
  return out;
}
