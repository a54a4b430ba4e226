/**
 * When a held Page's messages go back to the queue. A Page is held only for token-wide losses
 * (retry-policy.ts); it resumes only when what held it changed, never on a timer alone, so a
 * Page that keeps being refused costs one send per change, not one every few seconds:
 * - held because its token was refused (190/102) or it had no valid token: a valid token that
 *   can message is there (the refused token was marked invalid, so this is another one: a
 *   second admin's, or a reconnect's);
 * - held because the token lost pages_messaging or the MESSAGING task (10, 200-299, 230): a
 *   valid token that can message was written or re-checked after the hold (a reconnect, or a
 *   health sweep that found it capable).
 */
import type { PageKeeperContext } from '../context.js';
import type { HeldPage, OutboxRepository } from '../store/outbox-repository.js';

/** Graph codes (and null: no valid token) that say the token itself is gone. */
const TOKEN_CODES = new Set<number | null>([null, 190, 102, 458, 459, 460, 463, 464, 467, 492]);

export interface TokenFacts {
  status: 'valid' | 'invalid';
  messagingGranted: boolean;
  tasks: readonly string[];
  /** ms: the last time the token was written or checked with Facebook. */
  updatedAt: number;
}

/** Can this token send Messenger messages, as far as pagekeeper knows? */
export function canMessage(t: TokenFacts): boolean {
  return t.status === 'valid' && t.messagingGranted && (t.tasks.length === 0 || t.tasks.includes('MESSAGING'));
}

/** Should the held Page resume now? Pure. */
export function decideResume(held: Pick<HeldPage, 'heldAt' | 'codes'>, tokens: readonly TokenFacts[]): boolean {
  const capable = tokens.filter(canMessage);
  if (capable.length === 0) return false;
  if (held.codes.every((c) => TOKEN_CODES.has(c))) return true;
  return capable.some((t) => t.updatedAt > held.heldAt);
}

/** Resumes the held Pages whose tokens changed; @returns the Pages resumed. */
export async function resumeChangedPages(ctx: PageKeeperContext, repo: OutboxRepository, now: number): Promise<string[]> {
  const resumed: string[] = [];
  for (const held of await repo.heldSummary()) {
    const tokens = await ctx.store.pageTokens.listForPage(held.pageId);
    const facts = tokens.map((t) => ({ status: t.status, messagingGranted: t.messagingGranted, tasks: t.tasks, updatedAt: t.updatedAt.getTime() }));
    if (!decideResume(held, facts)) continue;
    ctx.tokens.invalidate(held.pageId);
    if ((await repo.resumeHeld(held.pageId, now)) > 0) resumed.push(held.pageId);
  }
  return resumed;
}
