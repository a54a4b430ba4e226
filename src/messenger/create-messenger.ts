/**
 * One Messenger per PageKeeper: the send throttle (shared by direct sends and every worker of
 * this PageKeeper, never global), the window cache, the outbox and its workers.
 */
import { pkError } from '../errors.js';
import type { GraphError } from '../graph/graph-error.js';
import type { PageKeeperContext } from '../context.js';
import { toSendBody } from './build-message.js';
import { conversationKey } from '../store/conversations-repository.js';
import { createOutbox, type EnqueueOptions, type EnqueueResult, type MessageView } from './outbox.js';
import { createOutboxRepository, type ListFilter, type OutboxStatus, type Receipt, type StatusChange } from '../store/outbox-repository.js';
import { createOutboxConsole, type OutboxConsole } from './outbox-console.js';
import { changesOfOutcomes, createStatusEvents, type StatusListener } from './outcome-events.js';
import { rememberInbound, sendMessage, type DirectSendOptions, type SendDeps, type SendResult } from './send.js';
import { createUsageRecorder } from './usage-recorder.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { channelCap, createSendThrottle, intervalUs, LATE_SLOT_MS, SEND_API_MAX_PER_SECOND, SEND_API_MEDIA_MAX_PER_SECOND, type AcquireOptions, type SendThrottle } from './throttle.js';
import type { Outgoing, OutgoingMessage, SendBody, SendOptions } from './types.js';
import { createPageSlots } from './page-slots.js';
import { createOutboxWorker, type OutboxWorker, type WorkerDeps, type WorkerOptions } from './worker.js';
import { createWindowLookup } from './window-lookup.js';
import { createInstagramAccounts, type InstagramAccounts } from '../instagram/instagram-accounts.js';

/** Late slots in a row before a send paces locally instead. */
const MAX_LATE_SLOTS = 3;

export interface MessengerOptions {
  /** Sends per second per Page, at most 300 (Facebook's Send API figure); default 300. */
  maxPerSecond?: number;
  /** Lower caps for some Pages. */
  pageCaps?: Record<string, number>;
  /** How long every Page pauses when the app's budget (X-App-Usage) is spent. */
  appPauseMs?: number;
  /**
   * What to do when Facebook refuses a Page token (190/102). Default: mark that token invalid
   * in the store (the next valid token of the Page, if any, takes over) and drop it from the cache.
   */
  onTokenInvalid?: (pageId: string, userId: string, error: GraphError) => Promise<void>;
  /**
   * Ask Facebook's Conversations API when pagekeeper has no record of the person writing in the
   * window (window-lookup.ts). Default true; false refuses on pagekeeper's own records alone.
   */
  lookupWindow?: boolean;
  /**
   * Most outbox POSTs on the wire at once per worker, default 1,024. Below it the number follows
   * the Pages' send rate times the round trip the worker observes (Little's law: 10 Pages at
   * 100/s with 200 ms answers need ~200). Keep the Graph client's `connections` at least this high.
   */
  maxInFlight?: number;
}

export interface Messenger {
  /**
   * Sends now: validates, checks the 24 h window locally, waits for the throttle, POSTs.
   * `message` is a builder's result (`text('hi')`) or a `message` object (`{ text: 'hi' }`).
   */
  send(pageId: string, psid: string, message: Outgoing | OutgoingMessage, options?: SendOptions & DirectSendOptions): Promise<SendResult>;
  /** The same with a full Send API body (recipient included). */
  sendBody(pageId: string, body: SendBody, options?: DirectSendOptions): Promise<SendResult>;
  /** Stores the message for the worker; see Outbox.enqueue. `body` is a full Send API body. */
  enqueue(pageId: string, body: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** The service's OutboxPort name for getMessage. */
  get(id: string): Promise<MessageView | undefined>;
  getMessage(id: string): Promise<MessageView | undefined>;
  list(filter?: ListFilter): Promise<MessageView[]>;
  counts(): Promise<Record<OutboxStatus, number>>;
  /** The person wrote to the Page at `at` (webhook): opens the window. */
  recordInbound(pageId: string, psid: string, at: Date | number): Promise<void>;
  /** The person (IGSID) wrote to the Instagram account `igId` at `at` (an `object: "instagram"` webhook): opens Instagram's window. */
  recordInstagramInbound(igId: string, igsid: string, at: Date | number): Promise<void>;
  /** Which Instagram account each Page sends as (docs/instagram.md). */
  readonly instagram: InstagramAccounts;
  /** Starts a worker in this process; stopped by stop() (and PageKeeper.close()). */
  startWorker(options?: WorkerOptions): OutboxWorker;
  /** Held messages of the page are queued again (call after a reconnect; workers also re-check on their own). */
  resumeHeld(pageId: string): Promise<number>;
  /**
   * Delivery and read webhooks (watermarks): sent messages they cover become `delivered` / `read`.
   * @returns how many messages changed.
   */
  recordReceipts(receipts: readonly Receipt[]): Promise<number>;
  /** Every outbox state change after enqueue (`sending` excluded) as a `message.status` event. @returns the unsubscribe function. */
  onStatus(listener: StatusListener): () => void;
  /** The operations console's outbox: filters, history, retry (a new linked message) and cancel (outbox-console.ts). */
  readonly console: OutboxConsole;
  readonly throttle: SendThrottle;
  /** Stops every worker started here, waiting for their sends in flight. */
  stop(): Promise<void>;
}

export function createMessenger(ctx: PageKeeperContext, options: MessengerOptions = {}): Messenger {
  const maxPerSecond = Math.min(options.maxPerSecond ?? SEND_API_MAX_PER_SECOND, SEND_API_MAX_PER_SECOND);
  const pageCaps = { ...options.pageCaps };
  const rawThrottle = createSendThrottle({
    maxPerSecond,
    pageCaps,
    ...(options.appPauseMs === undefined ? {} : { appPauseMs: options.appPauseMs }),
    // Rate limits are about real time, whatever clock the stored timestamps use.
    now: () => Date.now(),
  });
  // Every usage reading the throttle takes is also kept for the dashboard's rate-budget chart.
  const usageRecorder = createUsageRecorder(ctx.store.rollups, (e) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'rate-budget usage not recorded'));
  const throttle: SendThrottle = {
    ...rawThrottle,
    observeUsage(pageId, usage) {
      rawThrottle.observeUsage(pageId, usage);
      usageRecorder.observe(pageId, rawThrottle.state(pageId).pageUsagePercent, ctx.clock.now().getTime());
    },
  };
  const conversations = ctx.store.conversations;
  const statusEvents = createStatusEvents();
  const emitChanges = (changes: readonly StatusChange[], at: number) => statusEvents.emit(changes, at);
  // The message's history beyond a plain send (failed attempts, holds, recovery): rare rows,
  // written after the change; a failed write is logged and the send goes on.
  const recordHistory = (changes: readonly StatusChange[], at: number) => {
    const entries = changes.filter((c) => c.status !== 'sent' && c.status !== 'delivered' && c.status !== 'read').map((c) => ({ messageId: c.id, at, status: c.status, error: c.error }));
    if (entries.length > 0) void ctx.store.outboxConsole.appendHistory(entries).catch((e: unknown) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'outbox history not recorded'));
  };
  // The messenger's own binding of the outbox table: the same rows as ctx.store.outbox, with a
  // hook that turns every state change it writes into a message.status event.
  const repo = createOutboxRepository(ctx.store.db, ctx.store.dialect, {
    onChanges: (changes) => {
      const at = ctx.clock.now().getTime();
      recordHistory(changes, at);
      emitChanges(changes, at);
    },
  });
  const windowCache = new Map<string, number>();
  const onTokenInvalid =
    options.onTokenInvalid ??
    (async (pageId: string, userId: string, error: GraphError) => {
      ctx.tokens.invalidate(pageId);
      await ctx.store.pageTokens.markInvalid(pageId, userId, { reason: error.tokenReason ?? 'invalid', subcode: error.subcode });
      ctx.tokens.invalidate(pageId);
    });
  const windowLookup = options.lookupWindow === false ? undefined : createWindowLookup(ctx);
  const instagram = createInstagramAccounts(ctx);
  const deps: SendDeps = { ctx, throttle, conversations, windowCache, onTokenInvalid, instagram, ...(windowLookup === undefined ? {} : { windowLookup }) };
  const workers = new Set<OutboxWorker>();
  const outbox = createOutbox({ ...deps, repo, notify: (person) => workers.forEach((w) => w.wake(person)) });
  const outboxConsole = createOutboxConsole({ ...deps, notify: (person) => workers.forEach((w) => w.wake(person)), emit: emitChanges });

  // Across instances every Page has one send schedule in the database (page-slots.ts): while a
  // worker runs here, each send (outbox or direct) reserves the Page's next slot there, at the
  // Page's whole cap. Only when the database refuses reservations does each instance pace
  // locally at the cap over the live workers.
  let liveWorkers = 1;
  const capOf = (pageId: string) => channelCap(pageId, Math.min(maxPerSecond, pageCaps[pageId] ?? maxPerSecond));
  const capsSetFor = new Set<string>(Object.keys(pageCaps));
  const divisor = () => (slots.active ? 1 : liveWorkers);
  const applyCap = (pageId: string) => {
    capsSetFor.add(pageId);
    throttle.setPageCap(pageId, capOf(pageId) / divisor());
  };
  const slots = createPageSlots({
    repo: ctx.store.outboxSlots,
    onActive: () => {
      for (const pageId of capsSetFor) applyCap(pageId);
    },
    warn: (message, e) => ctx.logger.warn(e === undefined ? {} : { err: e instanceof Error ? e.message : String(e) }, message),
  });
  function setLiveWorkers(n: number): void {
    // Alone, a send takes its slot from the local copy of the schedule and writes it behind.
    slots.setSolo(n <= 1);
    if (n === liveWorkers) return;
    liveWorkers = n;
    for (const pageId of capsSetFor) applyCap(pageId);
  }
  function shareCap(pageId: string): void {
    if (divisor() > 1 && !capsSetFor.has(pageId)) applyCap(pageId);
  }
  /**
   * The send's slot in the Page's shared schedule (at its rate now, after any pause), and for
   * audio and video one in the Page's media schedule too; the local throttle's own slot when
   * no worker runs here or the database refuses. A slot that comes back already LATE_SLOT_MS
   * past (a slow database, a busy event loop) is left unused and another taken: sends released
   * together late would reach Facebook in a burst.
   */
  async function sharedSlot(pageId: string, signal: AbortSignal | undefined, opts: AcquireOptions | undefined): Promise<number> {
    for (let attempt = 0; attempt < MAX_LATE_SLOTS && slots.active; attempt++) {
      signal?.throwIfAborted();
      const state = throttle.state(pageId);
      const floorUs = Math.max(Date.now(), state.pausedUntil ?? 0) * 1000;
      const media = opts?.attachmentType === 'audio' || opts?.attachmentType === 'video';
      const takes = [slots.take(pageId, intervalUs(state.perSecond), floorUs, signal)];
      if (media) takes.push(slots.take(`${pageId}#media`, intervalUs((Math.min(SEND_API_MEDIA_MAX_PER_SECOND, state.cap) * state.perSecond) / state.cap), floorUs, signal));
      const starts = await Promise.all(takes);
      if (starts.some((at) => at === undefined)) break;
      const at = Math.max(...(starts as number[]));
      if (at - Date.now() < -LATE_SLOT_MS) continue;
      return at;
    }
    shareCap(pageId);
    return throttle.slot(pageId, signal, opts);
  }
  async function sharedReserve(pageId: string, signal: AbortSignal | undefined, opts: AcquireOptions | undefined): Promise<void> {
    const wait = (await sharedSlot(pageId, signal, opts)) - Date.now();
    if (wait > 0) await sleep(wait, undefined, signal === undefined ? undefined : { signal });
  }
  const sharedThrottle: SendThrottle = {
    ...throttle,
    acquire(pageId, opts) {
      shareCap(pageId);
      return throttle.acquire(pageId, opts);
    },
    async wait(pageId, signal, opts) {
      await sharedThrottle.reserve(pageId, signal, opts);
      await throttle.admit(pageId, signal);
    },
    slot: (pageId, signal, opts) => (slots.active ? sharedSlot(pageId, signal, opts) : (shareCap(pageId), throttle.slot(pageId, signal, opts))),
    reserve: (pageId, signal, opts) => (slots.active ? sharedReserve(pageId, signal, opts) : (shareCap(pageId), throttle.reserve(pageId, signal, opts))),
  };
  if (options.maxInFlight !== undefined && !(Number.isInteger(options.maxInFlight) && options.maxInFlight > 0)) {
    throw pkError('PK_USAGE', { detail: `messenger.maxInFlight must be a positive whole number of POSTs in flight (got ${options.maxInFlight}); leave it out for the default of 1,024` });
  }
  const workerDeps: WorkerDeps = {
    ...deps,
    throttle: sharedThrottle,
    repo,
    setLiveWorkers,
    attachSlots: () => slots.attach(),
    // Nothing is built on the worker's hot path unless someone listens.
    onStatusChanges: (batch, heldAlong, at) => {
      if (statusEvents.listeners > 0) emitChanges([...changesOfOutcomes(batch), ...heldAlong], at);
      // Only outcomes other than a send go into the history: a loop over the batch, nothing built otherwise.
      if (heldAlong.length > 0 || batch.some((b) => b.outcome.kind === 'requeue' || b.outcome.kind === 'finish')) {
        recordHistory([...changesOfOutcomes(batch.filter((b) => b.outcome.kind === 'requeue' || b.outcome.kind === 'finish')), ...heldAlong], at);
      }
    },
    liveLeases: (prefix: string, now: number) => ctx.store.leases.listLive(prefix, now),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  };

  return {
    throttle: sharedThrottle,
    send: (pageId, psid, message, opts = {}) => sendMessage({ ...deps, throttle: sharedThrottle }, pageId, toSendBody(psid, message, opts), opts),
    sendBody: (pageId, body, opts) => sendMessage({ ...deps, throttle: sharedThrottle }, pageId, body, opts),
    enqueue: (pageId, body, opts) => outbox.enqueue(pageId, body, opts),
    get: (id) => outbox.get(id),
    getMessage: (id) => outbox.get(id),
    list: (filter) => outbox.list(filter),
    counts: () => outbox.counts(),
    async recordInbound(pageId, psid, at) {
      const ms = typeof at === 'number' ? at : at.getTime();
      await conversations.recordInbound(pageId, psid, new Date(ms));
      rememberInbound(windowCache, conversationKey(pageId, psid), ms);
    },
    instagram,
    async recordInstagramInbound(igId, igsid, at) {
      const ms = typeof at === 'number' ? at : at.getTime();
      // Instagram people are keyed by the account id, beside the Pages' PSIDs (ids never shared).
      await conversations.recordInbound(igId, igsid, new Date(ms));
      rememberInbound(windowCache, conversationKey(igId, igsid), ms);
    },
    startWorker(opts) {
      const w = createOutboxWorker(workerDeps, opts);
      workers.add(w);
      w.start();
      return w;
    },
    resumeHeld: (pageId) => outbox.resumeHeld(pageId),
    async recordReceipts(receipts) {
      const at = ctx.clock.now().getTime();
      const changes = await repo.applyReceipts(receipts, at);
      emitChanges(changes, at);
      return changes.length;
    },
    onStatus: (listener) => statusEvents.on(listener),
    console: outboxConsole,
    async stop() {
      await Promise.allSettled([...workers].map((w) => w.stop()));
      workers.clear();
      await usageRecorder.stop();
    },
  };
}
