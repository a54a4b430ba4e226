/**
 * Sends one claimed outbox message and records its outcome; never throws. The order is what
 * keeps the outbox's promises (nothing lost, nothing sent twice, per-person order):
 * window check (no Graph call) -> Page token -> the Page's throttle slot -> `sending` committed
 * (batched) -> a POST slot -> the Page's sliding second -> the POST (postPreparedBody, shared
 * with direct sends) -> the outcome, decided by decideSendRetry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isPageKeeperError } from '../errors.js';
import { isGraphError, type GraphError } from '../graph/graph-error.js';
import type { ClaimedMessage, OutboxError, SendOutcome } from '../store/outbox-repository.js';
import { bodyOf } from './outbox-body.js';
import { decideSendRetry } from './retry-policy.js';
import { attachmentTypeOf, checkWindow, keyedThrottle, postPreparedBody, type SendDeps } from './send.js';
import { LATE_SLOT_MS, throttleKeyOf } from './throttle.js';
import type { MarkBatcher } from './worker-mark-batcher.js';
import type { SendSlots } from './worker-send-slots.js';

/** The mark is written this long (ms) before the send's slot: enough for the database write. */
export const MARK_LEAD_MS = 50;

export interface DeliverOptions {
  timeoutMs?: number | undefined;
  maxAttempts?: number | undefined;
  baseDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
  random: () => number;
}

export interface DeliverDeps {
  send: SendDeps;
  marks: MarkBatcher;
  slots: SendSlots;
  record(m: ClaimedMessage, outcome: SendOutcome): void;
  /**
   * The message's wait for its throttle slot, aborted when the worker stops or hands the person
   * to another instance: the message gives its claim back (nothing was sent).
   */
  slotWait(m: ClaimedMessage): AbortSignal;
  /** The message has its slot: it goes out from here on (no hand-back). */
  slotTaken(m: ClaimedMessage): void;
  /** This worker counts itself the only one live: the Page's sliding second here sees every send. */
  alone(): boolean;
  now(): number;
}

const errorOf = (e: GraphError, reason?: string): OutboxError => ({ code: e.code === 0 ? null : e.code, subcode: e.subcode, message: reason ?? e.message });

export function createDeliver(deps: DeliverDeps, options: DeliverOptions): { deliver(m: ClaimedMessage): Promise<void>; decide(m: ClaimedMessage, e: unknown): void } {
  const { send, marks, slots, record, now } = deps;
  const { ctx } = send;

  function finish(m: ClaimedMessage, status: 'failed' | 'held' | 'unknown', error: OutboxError, holdPage = false): void {
    record(m, { kind: 'finish', id: m.id, pageId: m.pageId, status, error, holdPage });
  }

  function decide(m: ClaimedMessage, e: unknown): void {
    const t = now();
    if (!isGraphError(e)) {
      // Not an answer from Facebook (a bug, the database, an abort while stopping): the POST may
      // have happened, so treat it like a lost answer.
      const message = e instanceof Error ? e.message : String(e);
      if (m.atLeastOnce) record(m, { kind: 'requeue', id: m.id, at: t + 1000, error: { code: null, subcode: null, message } });
      else finish(m, 'unknown', { code: null, subcode: null, message: `No answer recorded: ${message}` });
      return;
    }
    // A success status whose body cannot be read: Facebook accepted the request, so it most
    // likely went out; the same rule as a lost answer applies.
    const delivery = e.httpStatus !== null && e.httpStatus >= 200 && e.httpStatus < 300 ? 'unknown' : e.delivery;
    const decision = decideSendRetry({
      error: { kind: e.kind, code: e.code, subcode: e.subcode, delivery, retryAfterMs: e.retryAfterMs, message: e.detail },
      attempt: m.attempts + 1,
      atLeastOnce: m.atLeastOnce,
      now: t,
      random: options.random,
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
      ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
    });
    switch (decision.action) {
      case 'retry':
        return record(m, { kind: 'requeue', id: m.id, at: decision.at, error: errorOf(e) });
      case 'fail':
        return finish(m, 'failed', { code: decision.code, subcode: decision.subcode, message: decision.reason });
      case 'unknown':
        return finish(m, 'unknown', errorOf(e, decision.reason));
      case 'hold':
        return finish(m, 'held', errorOf(e, decision.reason), true);
    }
  }

  async function deliver(m: ClaimedMessage): Promise<void> {
    const body = bodyOf(m.psid, m.payload);
    // A Page's Instagram sends have their own budget (throttle.ts throttleKeyOf).
    const throttle = m.channel === 'instagram' ? keyedThrottle(send.throttle, throttleKeyOf(m.pageId, 'instagram')) : send.throttle;
    // The window may have closed since enqueue: refuse locally, without a Graph call.
    try {
      await checkWindow(send, m.pageId, body, m.channel);
    } catch (e) {
      if (isPageKeeperError(e) && (e.code === 'PK_OUTSIDE_WINDOW' || e.code === 'PK_INSTAGRAM_UNAVAILABLE')) return finish(m, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}${e.fix ? ` | fix: ${e.fix}` : ''}` });
      return decide(m, e);
    }

    let token;
    try {
      token = await ctx.tokens.get(m.pageId);
    } catch (e) {
      if (isPageKeeperError(e) && e.code === 'PK_NO_VALID_TOKEN') return finish(m, 'held', { code: null, subcode: null, message: `${e.code}: ${e.message}` }, true);
      if (isPageKeeperError(e) && e.code === 'PK_PAGE_NOT_FOUND') return finish(m, 'failed', { code: null, subcode: null, message: `${e.code}: ${e.message}` });
      // Nothing was sent: give it back rather than guess.
      return record(m, { kind: 'release', id: m.id, at: now() + 1000 });
    }

    // Pauses come from Facebook (regain times, throttle errors): give the claim back instead of
    // sitting on it, so the message goes out when the Page may send again. Nothing was sent,
    // so the attempt does not count.
    const paused = throttle.state(m.pageId).pausedUntil;
    if (paused !== null) return record(m, { kind: 'release', id: m.id, at: paused });
    const attachmentType = attachmentTypeOf(body);
    // The slot first (reserved, not waited for), then the mark while its time comes: the
    // database write does not make the send late for its slot.
    let slotAt: number;
    try {
      const signal = deps.slotWait(m);
      slotAt = await throttle.slot(m.pageId, signal, { attachmentType });
      // A slot far ahead (the local throttle's, or after a pause) is waited for unmarked, so a
      // crash meanwhile leaves the message queued rather than unknown.
      const early = slotAt - MARK_LEAD_MS - Date.now();
      if (early > 0) await sleep(early, undefined, { signal });
    } catch {
      deps.slotTaken(m);
      return record(m, { kind: 'release', id: m.id, at: now() });
    }
    deps.slotTaken(m);
    const pausedNow = throttle.state(m.pageId).pausedUntil;
    if (pausedNow !== null) return record(m, { kind: 'release', id: m.id, at: pausedNow });

    // Committed before the POST (batched with the other sends released at the same moment):
    // a crash from now on means "maybe sent" (unknown), never "lost". Before this point a crash
    // leaves the message queued, and another worker takes it over when the claim expires.
    let marked: boolean;
    try {
      marked = await marks.mark(m.id);
    } catch {
      return record(m, { kind: 'release', id: m.id, at: now() + 1000 });
    }
    // The claim was lost (this worker stalled past its lease and another took the message over).
    if (!marked) return record(m, { kind: 'release', id: m.id, at: now() });
    if (slotAt > Date.now()) await sleep(slotAt - Date.now());
    // Let go well after its slot (a slow mark), the send would reach Facebook together with
    // those of the slots after it, over the cap in that second (the instances share each Page's
    // schedule, page-slots.ts): it takes a fresh slot instead. Alone, the Page's sliding second
    // below sees every send and keeps the cap by itself, so a late send just goes. Before the
    // POST slot, not while holding one: a fresh slot may be a Page's whole queue away, and POST
    // slots held meanwhile would make every other send wait for one, late, and take a fresh
    // slot in turn (a cascade that halved a lone worker's throughput on loopback).
    if (Date.now() - slotAt > LATE_SLOT_MS && !deps.alone()) await throttle.reserve(m.pageId, undefined, { attachmentType });
    // A POST slot, then the Page's second: a request queued behind others would leave later
    // than the throttle thinks and arrive in a burst with them (a 613).
    await slots.take();
    let res;
    let startedAt: number;
    try {
      await throttle.admit(m.pageId);
      startedAt = performance.now();
      res = await postPreparedBody(m.channel === 'instagram' ? { ...send, throttle } : send, m.pageId, body, token, { timeoutMs: options.timeoutMs });
    } catch (e) {
      slots.free();
      return decide(m, e);
    }
    slots.free(performance.now() - startedAt);
    const data = res.data as { message_id?: unknown } | null;
    const messageId = typeof data === 'object' && data !== null && typeof data.message_id === 'string' ? data.message_id : null;
    record(m, { kind: 'sent', id: m.id, messageId });
  }

  return { deliver, decide };
}
