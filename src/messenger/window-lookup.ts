/**
 * Asks Facebook when a person last wrote to a Page, for the window decisions pagekeeper cannot
 * make from its own records (no inbound webhook reached it: the app has its own receiver, the
 * CLI, a conversation from before connect).
 *
 * `GET /{page-id}/conversations?platform=messenger&user_id={PSID}&fields=messages.limit(20){created_time,from}`
 * with the Page token (https://developers.facebook.com/docs/messenger-platform/conversations).
 * Facebook has no "last message from the person" field and `updated_time` counts the Page's
 * own messages too, so the answer is the newest message whose `from.id` is the PSID, among the
 * 20 most recent (older ones cannot be read). Built for the real API's limits:
 * - 2 calls per second per Page: lookups wait their turn per Page; one that would wait longer
 *   than MAX_LOOKUP_WAIT_MS is not made (the send goes to Facebook, which decides);
 * - lookups of many people (an outbox full of them, several Pages) gathered for a few ms go out
 *   together as one batch request (each item with its Page's token);
 * - a Page whose token may not read conversations is not asked again for NOT_ALLOWED_PAUSE_MS;
 * - one lookup per person per decision: concurrent asks share one call, and the answer is kept
 *   for ANSWER_TTL_MS (a webhook or POST /v1/pages/{id}/inbound still opens the window at once,
 *   because the conversations table is read before this is asked).
 */
import { z } from 'zod';
import { appsecretProof } from '../graph/appsecret-proof.js';
import { BATCH_LIMIT } from '../graph/create-graph-client.js';
import { isGraphError } from '../graph/graph-error.js';
import type { BatchItem } from '../graph/types.js';
import type { PageKeeperContext } from '../context.js';
import { conversationKey } from '../store/conversations-repository.js';

export const CONVERSATIONS_PER_SECOND = 2;
/**
 * A lookup counts against its Page's second for this long: Facebook counts when requests
 * arrive, and two batches a second apart can arrive closer together when the first was slower.
 */
export const PACING_WINDOW_MS = 1_200;
export const LOOKUP_GATHER_MS = 5;
export const MAX_LOOKUP_WAIT_MS = 10_000;
/** How long an answer ("no message in the window", "could not ask") stands for the next decision. */
export const ANSWER_TTL_MS = 60_000;
/** Answers kept in memory (oldest dropped first). */
export const ANSWER_CACHE_SIZE = 100_000;
/**
 * A batch of lookups, with the Graph client's retries of items answered `null` or with a
 * transient error, gives up after this long: the sends wait for it, and Facebook can decide instead.
 */
export const LOOKUP_DEADLINE_MS = 5_000;
export const LOOKUP_FIELDS = 'messages.limit(20){created_time,from}';
/** A Page whose token may not read conversations (no pages_manage_metadata, ...) is not asked again for this long. */
export const NOT_ALLOWED_PAUSE_MS = 10 * 60_000;

/** `found`: Facebook shows a message from the person at `at` (ms); `none`: no message from them
 * among the 20 most recent; `unknown`: Facebook could not be asked (then Facebook decides on send). */
export type LookupOutcome = { kind: 'found'; at: number } | { kind: 'none' } | { kind: 'unknown'; reason: string };

/** Instagram lookups: `platform=instagram`, paced and cached per Instagram account (`ownerId`). */
export interface LookupChannel {
  platform: 'instagram';
  ownerId: string;
}

export interface WindowLookup {
  /** Facebook's answer for this person of this Page, from the cache or one lookup. Never throws. */
  ask(pageId: string, psid: string, channel?: LookupChannel): Promise<LookupOutcome>;
  /** Lookups made (Graph calls), for tests and metrics. */
  readonly calls: number;
}

const Id = z.union([z.string(), z.number()]).transform(String);
const Time = z.union([z.string(), z.number()]);
const ConversationsAnswer = z.looseObject({
  data: z.array(
    z.looseObject({
      messages: z.looseObject({ data: z.array(z.looseObject({ created_time: Time.optional(), from: z.looseObject({ id: Id }).optional() })) }).optional(),
    }),
  ),
});

/** Graph writes `2012-04-10T17:41:10+0000`; the doc's placeholders say a unix timestamp: accept both. */
export function parseGraphTime(v: string | number): number | null {
  if (typeof v === 'number' || /^\d+$/.test(v)) {
    const n = Number(v);
    return n < 1e12 ? n * 1000 : n;
  }
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

/** Facebook lets the 20 most recent messages of a conversation be read. */
export const READABLE_MESSAGES = 20;

/**
 * The newest message from `psid` in a Conversations answer; null when there is none; `full`
 * when there is none among a full page of 20 (all the Page's: the person may have written just
 * before them, which cannot be read, so nothing can be concluded); `bad` for an unreadable answer. Pure.
 */
export function newestFromPerson(body: unknown, psid: string): number | null | 'full' | 'bad' {
  const parsed = ConversationsAnswer.safeParse(body);
  if (!parsed.success) return 'bad';
  let newest: number | null = null;
  let full = false;
  for (const thread of parsed.data.data) {
    const messages = thread.messages?.data ?? [];
    if (messages.length >= READABLE_MESSAGES) full = true;
    for (const m of messages) {
      if (m.from?.id !== psid || m.created_time === undefined) continue;
      const at = parseGraphTime(m.created_time);
      if (at !== null && (newest === null || at > newest)) newest = at;
    }
  }
  return newest === null && full ? 'full' : newest;
}

interface Pending {
  pageId: string;
  /** Whose 2/s the lookup counts against: the Page, or its Instagram account. */
  owner: string;
  platform: 'messenger' | 'instagram';
  psid: string;
  resolve(outcome: LookupOutcome): void;
}

export function createWindowLookup(ctx: PageKeeperContext): WindowLookup {
  const answers = new Map<string, { at: number; outcome: LookupOutcome }>();
  const inFlight = new Map<string, Promise<LookupOutcome>>();
  const queues = new Map<string, Pending[]>();
  /** Per Page: when its last lookups left (real time), for the 2/s limit. */
  const sentAt = new Map<string, number[]>();
  const pausedUntil = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let calls = 0;

  function remember(key: string, outcome: LookupOutcome): void {
    answers.delete(key);
    answers.set(key, { at: Date.now(), outcome });
    if (answers.size > ANSWER_CACHE_SIZE) answers.delete(answers.keys().next().value as string);
  }

  function schedule(ms: number): void {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
    // Not unref'd: a lookup someone awaits must keep a short-lived process (the CLI) alive.
  }

  async function flush(): Promise<void> {
    const t = Date.now();
    const items: Pending[] = [];
    let wakeIn = Infinity;
    for (const [owner, queue] of queues) {
      const paused = pausedUntil.get(owner) ?? 0;
      if (paused > t) {
        wakeIn = Math.min(wakeIn, paused - t);
        continue;
      }
      const recent = (sentAt.get(owner) ?? []).filter((at) => t - at < PACING_WINDOW_MS);
      while (recent.length < CONVERSATIONS_PER_SECOND && queue.length > 0 && items.length < BATCH_LIMIT) {
        items.push(queue.shift()!);
        recent.push(t);
      }
      sentAt.set(owner, recent);
      if (queue.length === 0) queues.delete(owner);
      else wakeIn = Math.min(wakeIn, Math.max(1, recent.length >= CONVERSATIONS_PER_SECOND ? recent[0]! + PACING_WINDOW_MS - t : 1));
    }
    if (wakeIn !== Infinity) schedule(wakeIn);
    if (items.length > 0) await run(items);
  }

  async function run(items: Pending[]): Promise<void> {
    const batch: Array<{ p: Pending; item: BatchItem }> = [];
    for (const p of items) {
      let token: string;
      try {
        token = (await ctx.tokens.get(p.pageId)).token;
      } catch (e) {
        p.resolve({ kind: 'unknown', reason: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const query = new URLSearchParams({ platform: p.platform, user_id: p.psid, fields: LOOKUP_FIELDS, access_token: token, appsecret_proof: appsecretProof(ctx.appSecret, token) });
      batch.push({ p, item: { method: 'GET', relativeUrl: `${p.pageId}/conversations?${query.toString()}` } });
    }
    if (batch.length === 0) return;
    calls += batch.length;
    let results;
    try {
      results = await ctx.graph.batch(
        batch.map((b) => b.item),
        { token: ctx.graph.appToken(), includeHeaders: false, signal: AbortSignal.timeout(LOOKUP_DEADLINE_MS) },
      );
    } catch (e) {
      const reason = isGraphError(e) ? e.detail : e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${LOOKUP_DEADLINE_MS} ms` : 'the lookup failed';
      for (const { p } of batch) p.resolve({ kind: 'unknown', reason });
      return;
    }
    batch.forEach(({ p }, i) => {
      const r = results[i]!;
      if (r.error === undefined) {
        const newest = newestFromPerson(r.body, p.psid);
        if (newest === 'bad') p.resolve({ kind: 'unknown', reason: 'the Conversations answer has no data array' });
        else if (newest === 'full') p.resolve({ kind: 'unknown', reason: "the Page's 20 most recent messages in the conversation are its own" });
        else p.resolve(newest === null ? { kind: 'none' } : { kind: 'found', at: newest });
        return;
      }
      const e = r.error;
      if (e.kind === 'rate_limited') pausedUntil.set(p.owner, Date.now() + (e.retryAfterMs ?? 60_000));
      // Asking again for the Page's next person would be refused the same way.
      else if (e.kind === 'permission' || e.kind === 'token_invalid') pausedUntil.set(p.owner, Date.now() + NOT_ALLOWED_PAUSE_MS);
      p.resolve({ kind: 'unknown', reason: e.detail });
    });
  }

  function lookup(pageId: string, psid: string, channel: LookupChannel | undefined): Promise<LookupOutcome> {
    const owner = channel?.ownerId ?? pageId;
    return new Promise<LookupOutcome>((resolve) => {
      const queue = queues.get(owner) ?? [];
      const paused = (pausedUntil.get(owner) ?? 0) - Date.now();
      // More waiting than the Page's 2/s clears in MAX_LOOKUP_WAIT_MS: do not ask, let Facebook decide.
      if (queue.length >= (CONVERSATIONS_PER_SECOND * MAX_LOOKUP_WAIT_MS) / 1000 || paused > MAX_LOOKUP_WAIT_MS) {
        resolve({ kind: 'unknown', reason: 'too many Conversations lookups are waiting for this Page (Facebook allows 2 per second)' });
        return;
      }
      queue.push({ pageId, owner, platform: channel?.platform ?? 'messenger', psid, resolve });
      queues.set(owner, queue);
      schedule(LOOKUP_GATHER_MS);
    });
  }

  return {
    get calls() {
      return calls;
    },
    ask(pageId, psid, channel) {
      const key = conversationKey(channel?.ownerId ?? pageId, psid);
      const known = answers.get(key);
      if (known !== undefined && Date.now() - known.at < ANSWER_TTL_MS) return Promise.resolve(known.outcome);
      const pending = inFlight.get(key);
      if (pending !== undefined) return pending;
      const p = lookup(pageId, psid, channel).then((outcome) => {
        remember(key, outcome);
        if (outcome.kind === 'unknown') ctx.logger.warn({ pageId, reason: outcome.reason }, 'could not ask Facebook about the messaging window; the send goes to Facebook to decide');
        return outcome;
      });
      inFlight.set(key, p);
      void p.finally(() => inFlight.delete(key));
      return p;
    },
  };
}
