import { isAlertEvent, toHealthEvent } from '../notify/to-health-event.js';
import type { HealthEvent } from '../notify/types.js';
import type { StoredPage } from '../store/types.js';
import type { PageKeeperContext } from '../context.js';

export const DEFAULT_RECENT_EVENTS = 50;

/**
 * The latest health events (state changes) from the audit log, newest first, shaped as alerts
 * are: what `pagekeeper events`, the dashboard and the service's API show.
 */
export async function recentHealthEvents(ctx: Pick<PageKeeperContext, 'store'>, options: { limit?: number; pageId?: string; beforeId?: number } = {}): Promise<HealthEvent[]> {
  const limit = options.limit ?? DEFAULT_RECENT_EVENTS;
  const out: HealthEvent[] = [];
  const pages = new Map<string, StoredPage | undefined>();
  let beforeId = options.beforeId;
  // Other audit rows (connects, sends) are interleaved; read on until enough or the log ends.
  for (let round = 0; round < 20 && out.length < limit; round++) {
    const entries = await ctx.store.audit.list({ limit: Math.max(limit * 2, 50), pageId: options.pageId, beforeId });
    if (entries.length === 0) break;
    for (const e of entries) {
      if (!isAlertEvent(e.event)) continue;
      if (e.pageId !== null && !pages.has(e.pageId)) pages.set(e.pageId, await ctx.store.pages.get(e.pageId));
      out.push(toHealthEvent({ ...e, event: e.event }, e.pageId === null ? undefined : pages.get(e.pageId)));
      if (out.length >= limit) break;
    }
    beforeId = entries[entries.length - 1]!.id;
  }
  return out;
}
