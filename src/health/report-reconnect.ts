/**
 * Reconnect heals. connect() already stores the person's fresh tokens as
 * valid and re-judges each Page (a `needs_reauth` Page becomes healthy again, audited as a
 * status change). This adds what it cannot see on its own, by comparing with a snapshot taken
 * before: which of this person's lost tokens work again (`token_restored`), and, when they had
 * connected before, which Pages they gained (`page_added`) and lost (`page_removed`). Each is
 * one audit row, hence one alert.
 */
import type { ConnectResult } from '../tokens/connect.js';
import type { PageKeeperContext } from '../context.js';

export interface ReconnectSnapshot {
  invalid: Map<string, string | null>;
  users: Set<string>;
}

const key = (pageId: string, userId: string) => `${pageId}\u0000${userId}`;

export async function snapshotBeforeConnect(ctx: Pick<PageKeeperContext, 'store'>): Promise<ReconnectSnapshot> {
  const invalid = new Map<string, string | null>();
  for (const t of await ctx.store.pageTokens.listAll({ status: 'invalid' })) invalid.set(key(t.pageId, t.userId), t.invalidReason);
  const users = new Set((await ctx.store.users.list()).map((u) => u.id));
  return { invalid, users };
}

/** Appends the audit rows and returns the Pages whose token from this person was restored. */
export async function reportReconnect(ctx: Pick<PageKeeperContext, 'store'>, before: ReconnectSnapshot, result: ConnectResult): Promise<string[]> {
  const userId = result.user.id;
  const restored = result.pages.map((p) => p.id).filter((id) => before.invalid.has(key(id, userId)));
  const returning = before.users.has(userId);
  await ctx.store.transaction(async (tx) => {
    for (const pageId of restored) {
      await tx.audit.append({ event: 'token_restored', pageId, userId, oldState: 'invalid', newState: 'valid', reason: 'reconnected', detail: { source: 'connect', lostBecause: before.invalid.get(key(pageId, userId)) ?? null } });
    }
    if (!returning) return;
    for (const pageId of result.added) await tx.audit.append({ event: 'page_added', pageId, userId, oldState: null, newState: 'granted', reason: 'reconnected', detail: { source: 'connect' } });
    for (const pageId of result.removed) await tx.audit.append({ event: 'page_removed', pageId, userId, oldState: 'granted', newState: null, reason: 'no longer granted on reconnect', detail: { source: 'connect' } });
  });
  return restored;
}
