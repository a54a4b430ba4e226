/**
 * `message.status` events: every outbox state change after enqueue (`sending` excluded) as
 * `{"id","pageId","recipientId","status","messageId"?,"error"?,"at"}`. The service puts them on
 * GET /v1/events and sends them to the forward URL (docs/service.md). Listeners run in this
 * process, after the change is written; a listener that throws is ignored (it cannot undo a send).
 */
import type { ClaimedMessage, OutboxError, OutboxStatus, SendOutcome, StatusChange } from '../store/outbox-repository.js';

export interface MessageStatusEvent {
  /** The outbox message id (`msg_...`). */
  id: string;
  pageId: string;
  recipientId: string;
  status: Exclude<OutboxStatus, 'sending'>;
  /** Facebook's message id, once sent. */
  messageId?: string;
  error?: OutboxError;
  /** ISO 8601. */
  at: string;
}

export type StatusListener = (event: MessageStatusEvent) => void;

export interface StatusEvents {
  on(listener: StatusListener): () => void;
  emit(changes: readonly StatusChange[], at: number): void;
  readonly listeners: number;
}

export function createStatusEvents(): StatusEvents {
  const listeners = new Set<StatusListener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(changes, at) {
      if (listeners.size === 0) return;
      const when = new Date(at).toISOString();
      for (const c of changes) {
        if (c.status === 'sending') continue;
        const event: MessageStatusEvent = {
          id: c.id,
          pageId: c.pageId,
          recipientId: c.psid,
          status: c.status,
          ...(c.messageId === null ? {} : { messageId: c.messageId }),
          ...(c.error === null ? {} : { error: c.error }),
          at: when,
        };
        for (const l of listeners) {
          try {
            l(event);
          } catch {
            // A listener's failure is its own.
          }
        }
      }
    },
    get listeners() {
      return listeners.size;
    },
  };
}

/** The status changes a worker's outcomes make; `release` gives a claim back and changes nothing. Pure. */
export function changesOfOutcomes(batch: ReadonlyArray<{ m: Pick<ClaimedMessage, 'id' | 'pageId' | 'psid'>; outcome: SendOutcome }>): StatusChange[] {
  const out: StatusChange[] = [];
  for (const { m, outcome: o } of batch) {
    const base = { id: m.id, pageId: m.pageId, psid: m.psid };
    if (o.kind === 'sent') out.push({ ...base, status: 'sent', messageId: o.messageId, error: null });
    else if (o.kind === 'requeue') out.push({ ...base, status: 'queued', messageId: null, error: o.error });
    else if (o.kind === 'finish') out.push({ ...base, status: o.status, messageId: null, error: o.error });
  }
  return out;
}
