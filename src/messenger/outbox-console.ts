/**
 * What an operator does with the outbox (docs/operations-console.md), the same for the dashboard, the
 * REST API and the CLI:
 * - retry a `failed` or `unknown` message: a NEW message (its own id and idempotency key,
 *   `retryOf` naming the old one) with the same recipient and body; the old message is kept as it
 *   was. Asking twice gives the same retry back (`duplicate: true`), never a second send. The
 *   retry passes the checks of a new message (the Page still connected, the 24-hour window
 *   https://developers.facebook.com/docs/messenger-platform/policy/policy-overview#24hours_window).
 * - cancel a waiting message (`queued` and not being sent, or `held`): it becomes `cancelled`
 *   and is never sent.
 */
import { randomBytes } from 'node:crypto';
import { pkError } from '../errors.js';
import type { PageKeeperContext } from '../context.js';
import { CANCELLABLE_STATUSES, RETRYABLE_STATUSES, type BrowseFilter, type HistoryEntry } from '../store/outbox-console-repository.js';
import type { OutboxMessage, StatusChange } from '../store/outbox-repository.js';
import { toMessageView, type MessageView } from './outbox.js';
import { bodyOf } from './outbox-body.js';
import { checkWindow, type SendDeps } from './send.js';

/** A message as the console lists it: the view plus a short preview and its links. */
export interface ConsoleMessageView extends MessageView {
  /** The first characters of the text (or what kind of message it is); never the whole body. */
  preview: string;
  retryOf: string | null;
}

export interface ConsoleMessageDetail extends ConsoleMessageView {
  /** The messages that retry this one. */
  retriedAs: string[];
  /** Oldest first: created, each attempt that did not end in a send, holds, the operator's actions, the send. */
  history: HistoryEntry[];
}

export interface RetryResult {
  id: string;
  status: string;
  retryOf: string;
  /** The message had been retried already: this is that retry. */
  duplicate: boolean;
}

export interface OutboxConsole {
  browse(filter?: BrowseFilter): Promise<ConsoleMessageView[]>;
  detail(id: string): Promise<ConsoleMessageDetail | undefined>;
  /** @throws PK_NOT_FOUND, PK_MESSAGE_NOT_RETRYABLE, PK_PAGE_NOT_FOUND, PK_OUTSIDE_WINDOW */
  retry(id: string): Promise<RetryResult>;
  /** @throws PK_NOT_FOUND, PK_MESSAGE_NOT_CANCELLABLE */
  cancel(id: string): Promise<ConsoleMessageView>;
}

export const PREVIEW_LENGTH = 60;

/** A short, single-line preview of a stored payload. Pure. */
export function previewOf(payload: string): string {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return '';
  }
  const message = body.message as Record<string, unknown> | undefined;
  if (typeof message?.text === 'string') {
    const oneLine = message.text.replace(/\s+/g, ' ').trim();
    return oneLine.length > PREVIEW_LENGTH ? `${oneLine.slice(0, PREVIEW_LENGTH - 1).trimEnd()}…` : oneLine;
  }
  const attachment = message?.attachment as Record<string, unknown> | undefined;
  if (attachment) return `[${typeof attachment.type === 'string' ? attachment.type : 'attachment'}]`;
  if (typeof body.sender_action === 'string') return `[${body.sender_action}]`;
  return '';
}

function consoleView(m: OutboxMessage & { retryOf: string | null }): ConsoleMessageView {
  return { ...toMessageView(m), preview: previewOf(m.payload), retryOf: m.retryOf };
}

export interface OutboxConsoleDeps extends Pick<SendDeps, 'ctx' | 'conversations' | 'windowCache' | 'windowLookup' | 'instagram'> {
  /** Wakes local workers for the retried person. */
  notify(person: { pageId: string; psid: string }): void;
  /** Tells listeners (message.status events) about a cancel or a retry queued. */
  emit(changes: readonly StatusChange[], at: number): void;
}

function newMessageId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}

export function createOutboxConsole(deps: OutboxConsoleDeps): OutboxConsole {
  const ctx: PageKeeperContext = deps.ctx;
  const repo = ctx.store.outboxConsole;
  const notFound = () => pkError('PK_NOT_FOUND', { what: 'Message' });
  return {
    async browse(filter) {
      return (await repo.browse(filter)).map(consoleView);
    },

    async detail(id) {
      const m = await repo.get(id);
      if (!m) return undefined;
      const [retriedAs, recorded] = await Promise.all([repo.retriesOf(id), repo.history(id)]);
      const history: HistoryEntry[] = [{ at: m.createdAt, status: 'queued', error: null, note: m.retryOf ? `retry of ${m.retryOf}` : 'accepted' }, ...recorded];
      if (m.sentAt !== null) history.push({ at: m.sentAt, status: 'sent', error: null, note: m.messageId ? `Facebook message id ${m.messageId}` : null });
      if ((m.status === 'delivered' || m.status === 'read') && m.updatedAt.getTime() >= (m.sentAt?.getTime() ?? 0)) history.push({ at: m.updatedAt, status: m.status, error: null, note: null });
      history.sort((a, b) => a.at.getTime() - b.at.getTime());
      return { ...consoleView(m), retriedAs, history };
    },

    async retry(id) {
      const old = await repo.get(id);
      if (!old) throw notFound();
      if (!RETRYABLE_STATUSES.includes(old.status)) {
        throw pkError('PK_MESSAGE_NOT_RETRYABLE', { id, status: old.status });
      }
      const page = await ctx.store.pages.get(old.pageId);
      if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId: old.pageId });
      await checkWindow(deps, old.pageId, bodyOf(old.psid, old.payload), old.channel);
      const now = ctx.clock.now().getTime();
      const { message, existed } = await repo.insertRetry(old, newMessageId(), now);
      if (!existed) {
        await ctx.store.audit.append({ event: 'message_retried', pageId: old.pageId, oldState: old.status, newState: 'queued', reason: 'retried by an operator', detail: { messageId: old.id, retry: message.id } });
        deps.emit([{ id: message.id, pageId: message.pageId, psid: message.psid, status: 'queued', messageId: null, error: null }], now);
        deps.notify({ pageId: message.pageId, psid: message.psid });
      }
      return { id: message.id, status: message.status, retryOf: old.id, duplicate: existed };
    },

    async cancel(id) {
      const m = await repo.get(id);
      if (!m) throw notFound();
      if (!CANCELLABLE_STATUSES.includes(m.status)) throw pkError('PK_MESSAGE_NOT_CANCELLABLE', { id, status: m.status });
      const now = ctx.clock.now().getTime();
      const after = await repo.cancel(id, now, 'Cancelled by an operator');
      if (!after) throw notFound();
      // Claimed by a worker between the read and the write: it may be on its way to Facebook.
      if (after.status !== 'cancelled') throw pkError('PK_MESSAGE_NOT_CANCELLABLE', { id, status: 'being sent' });
      await ctx.store.audit.append({ event: 'message_cancelled', pageId: m.pageId, oldState: m.status, newState: 'cancelled', reason: 'cancelled by an operator', detail: { messageId: id } });
      deps.emit([{ id, pageId: m.pageId, psid: m.psid, status: 'cancelled', messageId: null, error: null }], now);
      return consoleView(after);
    },
  };
}
