/**
 * Sends one Messenger message now (no outbox): validate, check the window locally, wait for
 * the Page's throttle slot, POST `/{page-id}/messages` with the Page token, feed the usage
 * headers back to the throttle.
 *
 * The POST is not idempotent (Facebook does not de-duplicate sends, graph-api-notes.md
 * "Messenger Send API"), so it is never retried blindly: the Graph client only repeats it when
 * the request provably never left (delivery `not_sent`). Everything else goes to the caller.
 * https://developers.facebook.com/docs/messenger-platform/reference/send-api/
 */
import { pkError } from '../errors.js';
import { isGraphError, type GraphError } from '../graph/graph-error.js';
import type { GraphResponse } from '../graph/types.js';
import type { PageKeeperContext } from '../context.js';
import { conversationKey, type ConversationsRepository } from '../store/conversations-repository.js';
import type { AcquireOptions, SendThrottle } from './throttle.js';
import type { SendBody } from './types.js';
import { validateMessage } from './validate-message.js';
import { decideWindow } from './window.js';

/** A direct send waits this long at most for a paused Page before giving up with PK_RATE_LIMITED. */
export const DEFAULT_MAX_PAUSE_WAIT_MS = 5_000;
/** Known last-inbound times kept in memory (a bounded map, oldest dropped first). */
export const WINDOW_CACHE_SIZE = 100_000;

/** What the send path needs; built once per PageKeeper by createMessenger. */
export interface SendDeps {
  ctx: PageKeeperContext;
  throttle: SendThrottle;
  conversations: ConversationsRepository;
  /**
   * Last-inbound times (ms) already read or recorded. A last-inbound time only ever grows, so a
   * cached time that keeps the window open proves it is open; a closed one is re-read.
   */
  windowCache: Map<string, number>;
  /** Called when Facebook says the Page's token is no longer valid (marks it, fails over). */
  onTokenInvalid(pageId: string, userId: string, error: GraphError): Promise<void>;
}

export interface DirectSendOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Longest wait for a paused Page (throttled by Facebook) before PK_RATE_LIMITED. */
  maxPauseWaitMs?: number;
  /** Already validated by the caller (the outbox validated it at enqueue). */
  validated?: boolean;
}

export interface SendResult {
  messageId: string;
  recipientId: string;
}

export function rememberInbound(cache: Map<string, number>, key: string, ms: number): void {
  const known = cache.get(key);
  if (known !== undefined && known >= ms) return;
  cache.delete(key);
  cache.set(key, ms);
  if (cache.size > WINDOW_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
}

/** The window check for one body; throws PK_OUTSIDE_WINDOW without a Graph call. */
export async function checkWindow(deps: Pick<SendDeps, 'ctx' | 'conversations' | 'windowCache'>, pageId: string, body: SendBody): Promise<void> {
  const messagingType = 'messaging_type' in body ? body.messaging_type : 'RESPONSE';
  const tag = 'tag' in body ? body.tag : undefined;
  const key = conversationKey(pageId, body.recipient.id);
  const now = deps.ctx.clock.now();
  const cached = deps.windowCache.get(key);
  if (cached !== undefined && decideWindow({ messagingType, tag, lastInboundAt: new Date(cached), now }).ok) return;
  const last = await deps.conversations.lastInboundAt(pageId, body.recipient.id);
  if (last !== null) rememberInbound(deps.windowCache, key, last.getTime());
  const decision = decideWindow({ messagingType, tag, lastInboundAt: last, now });
  if (!decision.ok) throw decision.error;
}

/** The attachment type, for the throttle's 10/s audio and video budget. */
export function attachmentTypeOf(body: SendBody): AcquireOptions['attachmentType'] {
  return 'message' in body ? (body.message.attachment?.type ?? null) : null;
}

/** Tells the throttle about a throttling answer; code 4 is the app's budget, the rest the Page's. */
export function observeSendError(throttle: SendThrottle, pageId: string, e: GraphError): void {
  if (e.kind !== 'rate_limited') return;
  const wait = e.retryAfterMs ?? 60_000;
  if (e.code === 4) throttle.observeAppThrottle(wait);
  else throttle.observeThrottle(pageId, wait);
}

/**
 * The one "send a prepared body" step shared by direct sends and the outbox worker: POST
 * `/{page-id}/messages` with the Page token (never retried blindly, see above), feed the usage
 * headers to the throttle, tell it about throttling answers, and report a refused token. The
 * caller has already checked the window and waited for its throttle slot.
 */
export async function postPreparedBody(
  deps: Pick<SendDeps, 'ctx' | 'throttle' | 'onTokenInvalid'>,
  pageId: string,
  body: SendBody,
  token: { token: string; userId: string },
  options: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined } = {},
): Promise<GraphResponse<unknown>> {
  const { ctx, throttle } = deps;
  try {
    const res = await ctx.graph.request({
      method: 'POST',
      path: `${pageId}/messages`,
      json: body,
      token: token.token,
      idempotent: false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    throttle.observeUsage(pageId, { app: res.usage.app, pages: res.usage.pages });
    return res;
  } catch (e) {
    if (isGraphError(e)) {
      observeSendError(throttle, pageId, e);
      if (e.kind === 'token_invalid') await deps.onTokenInvalid(pageId, token.userId, e).catch(() => {});
    }
    throw e;
  }
}

function checkAnswer(data: unknown, psid: string): SendResult {
  const d = data as { message_id?: unknown; recipient_id?: unknown } | null;
  if (typeof d !== 'object' || d === null) throw pkError('PK_SEND_FAILED', { detail: 'the answer is not a JSON object' });
  // Sender actions are answered without message_id (graph-api-notes.md "Messenger Send API").
  const messageId = typeof d.message_id === 'string' ? d.message_id : '';
  const recipientId = typeof d.recipient_id === 'string' ? d.recipient_id : psid;
  return { messageId, recipientId };
}

/**
 * Sends `body` (a full Send API body) from the Page now.
 * @throws PK_MESSAGE_INVALID, PK_OUTSIDE_WINDOW (no Graph call), PK_PAGE_NOT_FOUND,
 *   PK_NO_VALID_TOKEN, PK_RATE_LIMITED (the Page is paused longer than maxPauseWaitMs), or the
 *   GraphError Facebook answered with (its `delivery` says whether it may have gone out).
 */
export async function sendMessage(deps: SendDeps, pageId: string, body: SendBody, options: DirectSendOptions = {}): Promise<SendResult> {
  if (options.validated !== true) validateMessage(body);
  await checkWindow(deps, pageId, body);
  const { ctx, throttle } = deps;
  const token = await ctx.tokens.get(pageId);
  const attachmentType = attachmentTypeOf(body);
  const maxPause = options.maxPauseWaitMs ?? DEFAULT_MAX_PAUSE_WAIT_MS;
  // Check the pause right before sending: another send may have been throttled while we waited.
  for (;;) {
    const paused = throttle.state(pageId).pausedUntil;
    if (paused !== null) {
      const wait = paused - Date.now();
      if (wait > maxPause) throw pkError('PK_RATE_LIMITED', { retryAfter: Math.ceil(wait / 1000) }, { details: { pageId, pausedUntil: new Date(paused).toISOString() } });
    }
    await throttle.wait(pageId, options.signal, { attachmentType });
    if (throttle.state(pageId).pausedUntil === null) break;
  }
  const res = await postPreparedBody(deps, pageId, body, token, options);
  return checkAnswer(res.data, body.recipient.id);
}
