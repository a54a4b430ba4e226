/**
 * The durable outbox's front half: `enqueue` persists a message before it returns its id, and
 * the same idempotency key never enqueues twice. Delivery is the worker's job (worker.ts).
 */
import { randomBytes } from 'node:crypto';
import { pkError } from '../errors.js';
import type { PageKeeperContext } from '../context.js';
import type { ListFilter, OutboxMessage, OutboxRepository, OutboxStatus } from '../store/outbox-repository.js';
import { payloadOf } from './outbox-body.js';
import { checkWindow, validateFor, type SendDeps } from './send.js';

export interface EnqueueOptions {
  /** The same key never enqueues twice: the first message comes back with `duplicate: true`. */
  idempotencyKey?: string;
  /**
   * Who the key belongs to (the service passes the API key's id): the same key from two callers
   * names two different messages. Keys are always scoped to the Page as well.
   */
  idempotencyScope?: string;
  /**
   * Accept a possible duplicate rather than a possible loss: a send whose answer never came
   * back (timeout, reset, a crash mid-POST) is retried instead of being marked `unknown`.
   */
  atLeastOnce?: boolean;
  /** `instagram`: the recipient is an IGSID of the Page's linked Instagram account (docs/instagram.md). Default messenger. */
  channel?: 'messenger' | 'instagram';
}

export interface EnqueueResult {
  id: string;
  status: OutboxStatus;
  duplicate: boolean;
}

/** A message as the service and CLI show it (no body). */
export interface MessageView {
  id: string;
  pageId: string;
  psid: string;
  status: OutboxStatus;
  attempts: number;
  messageId: string | null;
  error: { code: number | null; subcode: number | null; message: string | null } | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  /** Present for Instagram messages only. */
  channel?: 'instagram';
}

export interface Outbox {
  /**
   * Validates and stores the message (status `queued`) before returning its id.
   * @throws PK_MESSAGE_INVALID, PK_PAGE_NOT_FOUND, PK_OUTSIDE_WINDOW (RESPONSE/UPDATE outside
   *   24 h, with the HUMAN_AGENT hint), PK_DUPLICATE (key reused for a different message)
   */
  enqueue(pageId: string, body: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  get(id: string): Promise<MessageView | undefined>;
  list(filter?: ListFilter): Promise<MessageView[]>;
  counts(): Promise<Record<OutboxStatus, number>>;
  /** Held messages of the page go back to the queue (its token works again). @returns how many. */
  resumeHeld(pageId: string): Promise<number>;
}

export interface OutboxDeps extends Pick<SendDeps, 'ctx' | 'conversations' | 'windowCache' | 'windowLookup' | 'instagram'> {
  repo: OutboxRepository;
  /**
   * Wakes the local worker, if any, so a new message does not wait for the next poll; with the
   * person, the worker claims that person's head directly (an index probe, not the full scan).
   */
  notify(person?: { pageId: string; psid: string }): void;
}

export function toMessageView(m: OutboxMessage): MessageView {
  return {
    id: m.id,
    pageId: m.pageId,
    psid: m.psid,
    status: m.status,
    attempts: m.attempts,
    messageId: m.messageId,
    error: m.error,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    sentAt: m.sentAt,
    ...(m.channel === 'instagram' ? { channel: 'instagram' as const } : {}),
  };
}

function newMessageId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}

/**
 * The stored form of an idempotency key: owner, Page and key, so one caller's key never matches
 * another caller's message (the column is unique on its own). The parts are separated by a
 * control character that neither an API key id, a Page id nor an Idempotency-Key may contain.
 */
export function scopedIdempotencyKey(scope: string, pageId: string, key: string): string {
  return `${scope}\u001f${pageId}\u001f${key}`;
}

/** A page that exists stays known: pages are removed rarely, and a send to one then fails with the token error. */
async function assertPage(ctx: PageKeeperContext, known: Set<string>, pageId: string): Promise<void> {
  if (known.has(pageId)) return;
  const page = await ctx.store.pages.get(pageId);
  if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
  known.add(pageId);
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { ctx, repo } = deps;
  const knownPages = new Set<string>();
  return {
    async enqueue(pageId, body, options = {}) {
      const channel = options.channel ?? 'messenger';
      const sendBody = validateFor(channel, body);
      await assertPage(ctx, knownPages, pageId);
      await checkWindow(deps, pageId, sendBody, channel);
      const idempotencyKey = options.idempotencyKey === undefined ? null : scopedIdempotencyKey(options.idempotencyScope ?? '', pageId, options.idempotencyKey);
      const payload = payloadOf(sendBody);
      const psid = sendBody.recipient.id;
      const { message, duplicate } = await repo.insert({ id: newMessageId(), pageId, psid, payload, channel, idempotencyKey, atLeastOnce: options.atLeastOnce === true, at: ctx.clock.now() });
      if (duplicate && (message.pageId !== pageId || message.channel !== channel || message.psid !== psid || message.payload !== payload)) {
        // The first message's id is not told: the answer says only that the key is taken.
        throw pkError('PK_DUPLICATE', { detail: 'The idempotency key was already used for a different message; use a new key for a new message' });
      }
      if (!duplicate) deps.notify({ pageId, psid: message.psid });
      return { id: message.id, status: message.status, duplicate };
    },

    async get(id) {
      const m = await repo.get(id);
      return m && toMessageView(m);
    },

    async list(filter) {
      return (await repo.list(filter)).map(toMessageView);
    },

    counts: () => repo.counts(),

    async resumeHeld(pageId) {
      ctx.tokens.invalidate(pageId);
      const n = await repo.resumeHeld(pageId, ctx.clock.now().getTime());
      if (n > 0) deps.notify();
      return n;
    },
  };
}
