/**
 * The Graph API client: pinned version, appsecret_proof on every call with a token, one
 * keep-alive pool per origin, per-attempt timeouts, validated responses, retries that are safe,
 * usage headers, paging and batches. State lives in the object the factory returns.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Pool, util as undiciUtil, type Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import { createProofCache } from './appsecret-proof.js';
import { buildRequest, type BuiltRequest } from './build-request.js';
import { decideRetry, type RetryPolicy } from './decide-retry.js';
import { GraphError, badResponseFacts, classifyGraphError, classifyNetworkError } from './graph-error.js';
import { combineObservers, logObserver, type GraphCallObserver } from './observe-calls.js';
import { processResponse, type RawAnswer } from './process-response.js';
import { redactText } from './redact.js';
import { batchResponseSchema, listSchema } from './schemas.js';
import type { BatchItem, BatchItemResult, CallOptions, GraphLogger, GraphRequest, GraphResponse, Params } from './types.js';
import { createUsageParser, emptyUsage, mergeUsage, type UsageSnapshot } from './usage.js';

export const DEFAULT_GRAPH_VERSION = 'v25.0';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 3;
/**
 * Retries of a read (or a batch item that is one) whose failure came from Facebook's side:
 * such faults are independent per attempt, and a 30-page connect makes ~70 of them, so 3 left
 * one connect in a few dozen failing at a 30% fault rate. A refused connection stops at
 * DEFAULT_MAX_RETRIES. Used only when `maxRetries` is not given.
 */
export const DEFAULT_MAX_IDEMPOTENT_RETRIES = 10;
export const DEFAULT_RETRY_BASE_MS = 200;
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Sockets per origin: enough for the outbox's default `messenger.maxInFlight` (created on demand, kept alive). */
export const DEFAULT_CONNECTIONS = 1024;
/** Graph's batch limit (docs/graph-api.md "Batch requests"). */
export const BATCH_LIMIT = 50;
/** Batch requests in flight at once for one batch() call. */
export const DEFAULT_BATCH_CONCURRENCY = 4;
/** A cursor chain longer than this is treated as a loop. */
export const DEFAULT_MAX_PAGES = 10_000;
/**
 * Largest answer read, in bytes. A page of 100 /me/accounts entries or a batch of 50 answers is
 * well under 1 MB; a 300 MB answer once took `connect` to 1.3 GB of memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

export interface GraphClientOptions {
  /** `https://graph.facebook.com` or an emulator URL. */
  graphUrl: string;
  graphVersion?: string;
  appId: string;
  appSecret: string;
  connectTimeoutMs?: number;
  /** Answers larger than this fail with PK_GRAPH_BAD_RESPONSE (default DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  /** Total time for one attempt. */
  timeoutMs?: number;
  /** Retries of any call; when given, also the bound for reads (see maxIdempotentRetries). */
  maxRetries?: number;
  /** Retries of a call that is safe to repeat; default DEFAULT_MAX_IDEMPOTENT_RETRIES, or maxRetries when that is given. */
  maxIdempotentRetries?: number;
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /** A rate-limit wait longer than this is not slept through: the error goes to the caller. */
  maxRetryAfterMs?: number;
  logger?: GraphLogger;
  /** Told about every attempt and every finished call, with timing and outcome (metrics use it). */
  observer?: GraphCallObserver;
  /** Sockets per origin. */
  connections?: number;
  /** Jitter source; inject for tests. */
  random?: () => number;
  /** Waits between attempts; inject for tests. Must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PaginateOptions<T> extends CallOptions<T> {
  itemSchema: ZodType<T>;
  maxPages?: number;
}

export interface BatchOptions {
  token: string;
  /**
   * The POST and DELETE items are safe to repeat (subscribing a Page twice sets the same
   * fields), so they are retried like reads. GET items always are.
   */
  idempotent?: boolean;
  /** Batch requests (of 50 items each) in flight at once; default DEFAULT_BATCH_CONCURRENCY. */
  concurrency?: number;
  includeHeaders?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface GraphClient {
  request<T = unknown>(req: GraphRequest<T>): Promise<GraphResponse<T>>;
  get<T = unknown>(path: string, params?: Params, opts?: CallOptions<T>): Promise<T>;
  /** JSON body. */
  post<T = unknown>(path: string, body?: Record<string, unknown>, opts?: CallOptions<T>): Promise<T>;
  delete<T = unknown>(path: string, params?: Params, opts?: CallOptions<T>): Promise<T>;
  /** Every item of a cursor-paged list, following `paging.next` until it is absent. */
  paginate<T>(path: string, params: Params, opts: PaginateOptions<T>): AsyncIterable<T>;
  /** Results in the order of `items`, sent in chunks of 50. */
  batch(items: readonly BatchItem[], opts: BatchOptions): Promise<BatchItemResult[]>;
  /** `APP_ID|APP_SECRET`: a secret; never log it. */
  appToken(): string;
  /** Usage from the latest responses, all ids seen so far. */
  usage(): UsageSnapshot;
  close(): Promise<void>;
}

const { headerNameToString } = undiciUtil;

const noopLogger: GraphLogger = { debug() {}, info() {}, warn() {}, error() {} };

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => sleepTimer(ms, undefined, signal ? { signal } : undefined);

/** undici's raw header list as lower-case names; repeated headers joined with ", ". */
function headerRecord(raw: readonly Buffer[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === null) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = headerNameToString(raw[i]!);
    if (name === '__proto__') continue;
    const value = raw[i + 1]!.toString('latin1');
    const prev = out[name];
    out[name] = prev === undefined ? value : `${prev}, ${value}`;
  }
  return out;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function closedError(origin: string): GraphError {
  return new GraphError({ ...classifyNetworkError({ error: { code: 'UND_ERR_CLOSED' }, origin }), detail: 'the Graph client is closed' });
}

/**
 * One attempt, as an undici dispatch handler: the answer is collected straight into a string (no
 * response stream per call), and the attempt's deadline aborts the request through the abort
 * function undici hands over, so no AbortController is built per call. A class, not closures:
 * one small object per call on the hot path.
 */
class Attempt implements Dispatcher.DispatchHandler {
  private abortRequest: ((err: Error) => void) | undefined;
  // Set when the attempt is stopped before undici gave it a socket.
  private stopReason: Error | undefined;
  private settled = false;
  private timedOut = false;
  private status = 0;
  private rawHeaders: Buffer[] | null = null;
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly origin: string,
    private readonly timeoutMs: number,
    private readonly connectTimeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (answer: RawAnswer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly maxBytes: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.stop(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    if (signal !== undefined) {
      this.onAbort = () => this.stop(signal.reason as Error);
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.stopReason !== undefined) abort(this.stopReason);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    // 1xx answers are informational; the real status follows.
    if (statusCode >= 200) {
      this.status = statusCode;
      this.rawHeaders = headers;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      // Stop reading at once: a huge answer (a hostile or broken endpoint) must not fill memory.
      const tooBig = new GraphError(badResponseFacts(this.status, `the answer is larger than ${this.maxBytes} bytes`));
      if (this.settle()) {
        this.abortRequest?.(tooBig);
        this.chunks.length = 0;
        this.reject(tooBig);
      }
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (!this.settle()) return;
    const c = this.chunks;
    const bodyText = c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    this.resolve({ status: this.status, headers: headerRecord(this.rawHeaders), bodyText });
  }

  onError(error: Error): void {
    if (!this.settle()) return;
    if (this.signal?.aborted) return this.reject(abortReason(this.signal));
    this.reject(
      new GraphError(
        classifyNetworkError({ error, origin: this.origin, timedOutAfterMs: this.timedOut ? this.timeoutMs : undefined, connectTimeoutMs: this.connectTimeoutMs }),
        // The cause is undici's error; it names the origin, never the query.
        { cause: error },
      ),
    );
  }

  private stop(reason: Error): void {
    if (this.settled) return;
    if (this.abortRequest !== undefined) this.abortRequest(reason);
    else this.stopReason = reason;
    // undici reports the abort through onError, but not for a request still waiting in the
    // pool's queue: settle now either way (a second onError is ignored).
    this.onError(reason);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
    return true;
  }
}

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const graphUrl = new URL(options.graphUrl);
  const graphVersion = options.graphVersion ?? DEFAULT_GRAPH_VERSION;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: RetryPolicy = {
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    maxIdempotentRetries: options.maxIdempotentRetries ?? options.maxRetries ?? DEFAULT_MAX_IDEMPOTENT_RETRIES,
    retryBaseMs: options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
  };
  const logger = options.logger ?? noopLogger;
  const observer = combineObservers(logObserver(logger), options.observer);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const appToken = `${options.appId}|${options.appSecret}`;
  const target = { graphUrl, graphVersion, proof: createProofCache(options.appSecret) };
  const pools = new Map<string, Pool>();
  let closed = false;
  let usage = emptyUsage();
  const parseUsage = createUsageParser();

  function pool(origin: string): Pool {
    let p = pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: options.connections ?? DEFAULT_CONNECTIONS,
        connect: { timeout: connectTimeoutMs },
        // Our own timer bounds the whole attempt; these only stop undici from giving up earlier.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      pools.set(origin, p);
    }
    return p;
  }

  const secretsOf = (built: BuiltRequest) => [built.token, options.appSecret, appToken];

  function send(built: BuiltRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<RawAnswer> {
    if (closed) return Promise.reject(closedError(built.origin));
    return new Promise<RawAnswer>((resolve, reject) => {
      const attempt = new Attempt(built.origin, timeoutMs, connectTimeoutMs, signal, resolve, reject, maxResponseBytes);
      try {
        pool(built.origin).dispatch({ path: built.path, method: built.method, headers: built.headers, body: built.bytes ?? built.body }, attempt);
      } catch (error) {
        attempt.onError(error as Error);
      }
    });
  }

  async function request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>> {
    const built = buildRequest(target, req);
    const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
    const { method, redactedUrl: url } = built;
    const callStarted = performance.now();
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      const started = performance.now();
      let error: GraphError;
      let status: number | null = null;
      try {
        const answer = await send(built, timeoutMs, req.signal);
        status = answer.status;
        try {
          const res = processResponse(answer, { schema: req.schema, secrets: secretsOf(built), parseUsage });
          usage = mergeUsage(usage, res.usage);
          observer.onAttempt?.({ method, url, attempt, ms: Math.round(performance.now() - started), status, error: null, next: 'done' });
          observer.onResult?.({ method, url, attempts: attempt, ms: Math.round(performance.now() - callStarted), outcome: 'ok', error: null });
          return res;
        } catch (e) {
          // Error answers carry usage too: throttling is reported on the failing call.
          usage = mergeUsage(usage, processUsageOnly(answer));
          throw e;
        }
      } catch (e) {
        if (!(e instanceof GraphError)) throw e;
        error = e;
      }
      const ms = Math.round(performance.now() - started);
      const decision = req.retry === false ? ({ retry: false, reason: 'retries off' } as const) : decideRetry(error, attempt, built.idempotent, policy, random);
      if (!decision.retry) {
        observer.onAttempt?.({ method, url, attempt, ms, status, error, next: 'give_up', reason: decision.reason });
        observer.onResult?.({ method, url, attempts: attempt, ms: Math.round(performance.now() - callStarted), outcome: error.kind, error });
        throw error;
      }
      observer.onAttempt?.({ method, url, attempt, ms, status, error, next: 'retry', delayMs: decision.delayMs });
      await sleep(decision.delayMs, req.signal);
    }
  }

  function processUsageOnly(answer: RawAnswer): UsageSnapshot {
    try {
      return processResponse({ ...answer, status: 200, bodyText: '{}' }).usage;
    } catch {
      return emptyUsage();
    }
  }

  async function* paginate<T>(path: string, params: Params, opts: PaginateOptions<T>): AsyncGenerator<T> {
    const { itemSchema, maxPages = DEFAULT_MAX_PAGES, ...call } = opts;
    const pageSchema = listSchema(itemSchema);
    const seen = new Set<string>();
    let next: string | undefined = path;
    let first = true;
    for (let pages = 0; next !== undefined; pages++) {
      if (pages >= maxPages) throw new GraphError(badResponseFacts(200, `paging did not end after ${maxPages} pages`));
      const res: GraphResponse<{ data: T[]; paging?: { next?: string } }> = await request({
        ...call,
        method: 'GET',
        path: next,
        params: first ? params : undefined,
        schema: pageSchema as unknown as ZodType<{ data: T[]; paging?: { next?: string } }>,
      });
      first = false;
      for (const item of res.data.data) yield item;
      next = res.data.paging?.next;
      if (next !== undefined) {
        // Compare without the token: Facebook may re-issue the same cursor with a fresh token.
        const key = redactText(next);
        if (seen.has(key)) throw new GraphError(badResponseFacts(res.status, 'paging.next repeats an earlier page; stopping to avoid a loop'));
        seen.add(key);
      }
    }
  }

  async function batchChunk(chunk: readonly BatchItem[], opts: BatchOptions): Promise<BatchItemResult[]> {
    const wire = chunk.map((it) => {
      let relativeUrl = it.relativeUrl.replace(/^\/+/, '');
      let body = it.body;
      if (it.token !== undefined) {
        // An item's own token needs its own proof (https://developers.facebook.com/docs/graph-api/securing-requests/#appsecret_proof).
        const auth = { access_token: it.token, appsecret_proof: target.proof(it.token) };
        if (it.method === 'POST') body = { ...body, ...auth };
        else relativeUrl += `${relativeUrl.includes('?') ? '&' : '?'}${new URLSearchParams(auth).toString()}`;
      }
      return {
        method: it.method,
        relative_url: relativeUrl,
        ...(body ? { body: new URLSearchParams(body).toString() } : {}),
        ...(it.name ? { name: it.name } : {}),
      };
    });
    const form: Record<string, string> = { batch: JSON.stringify(wire) };
    if (opts.includeHeaders === false) form.include_headers = 'false';
    const res = await request({
      method: 'POST',
      path: '',
      form,
      token: opts.token,
      schema: batchResponseSchema,
      // A batch of reads is as safe to repeat as its items.
      idempotent: opts.idempotent === true || chunk.every((it) => it.method === 'GET'),
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
    if (res.data.length !== chunk.length) {
      throw new GraphError(badResponseFacts(res.status, `batch answered ${res.data.length} items for ${chunk.length} requests`));
    }
    return res.data.map((item, i) => toBatchItemResult(item, [opts.token, options.appSecret, appToken, chunk[i]!.token]));
  }

  /** Every item once, in chunks of 50 with a few chunks in flight; a chunk that fails (after its own retries) fails the call. */
  async function batchOnce(items: readonly BatchItem[], opts: BatchOptions): Promise<BatchItemResult[]> {
    const chunks: (readonly BatchItem[])[] = [];
    for (let i = 0; i < items.length; i += BATCH_LIMIT) chunks.push(items.slice(i, i + BATCH_LIMIT));
    const answers: BatchItemResult[][] = new Array<BatchItemResult[]>(chunks.length);
    // A few batch requests in flight: the time is the round trips, not Facebook's work per item.
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < chunks.length) {
        const i = next++;
        try {
          answers[i] = await batchChunk(chunks[i]!, opts);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const width = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_BATCH_CONCURRENCY, chunks.length));
    await Promise.all(Array.from({ length: width }, worker));
    return answers.flat();
  }

  /**
   * Items that failed on their own (answered `null`, or with a transient error) are sent again
   * in a new batch, as Facebook says to ("You can retry any unsuccessful request",
   * https://developers.facebook.com/docs/graph-api/batch-requests/), under the same bound and
   * backoff as a single call: a read each time, a POST only when the caller says it is safe to
   * repeat (a null POST item may have run). Errors that are not transient stay with their item.
   */
  async function batch(items: readonly BatchItem[], opts: BatchOptions): Promise<BatchItemResult[]> {
    const results = await batchOnce(items, opts);
    const safe = (it: BatchItem) => it.method === 'GET' || opts.idempotent === true;
    let pending = results.map((_, i) => i).filter((i) => results[i]!.error !== undefined);
    for (let attempt = 1; pending.length > 0; attempt++) {
      let delayMs = 0;
      const again: number[] = [];
      for (const i of pending) {
        const decision = decideRetry(results[i]!.error!, attempt, safe(items[i]!), policy, random);
        if (!decision.retry) continue;
        again.push(i);
        delayMs = Math.max(delayMs, decision.delayMs);
      }
      if (again.length === 0) break;
      logger.warn({ items: again.length, of: items.length, attempt, delayMs }, 'batch items failed, retrying them');
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      await sleep(delayMs, opts.signal);
      const answers = await batchOnce(
        again.map((i) => items[i]!),
        opts,
      );
      again.forEach((i, j) => (results[i] = answers[j]!));
      pending = again.filter((i) => results[i]!.error !== undefined);
    }
    return results;
  }

  return {
    request,
    get: (path, params, opts = {}) => request({ ...opts, method: 'GET', path, params }).then((r) => r.data),
    post: (path, body, opts = {}) => request({ ...opts, method: 'POST', path, json: body ?? {} }).then((r) => r.data),
    delete: (path, params, opts = {}) => request({ ...opts, method: 'DELETE', path, params }).then((r) => r.data),
    paginate,
    batch,
    appToken: () => appToken,
    usage: () => usage,
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}

type WireBatchItem = { code: number; headers?: { name: string; value: string }[]; body?: string } | null;

/** One batch answer, processed: body parsed, failures as GraphError. Pure. */
export function toBatchItemResult(item: WireBatchItem, secrets: readonly (string | undefined)[] = []): BatchItemResult {
  if (item === null) {
    // Facebook gives up on items that take too long; it may or may not have run them.
    return {
      code: 0,
      headers: {},
      body: undefined,
      error: new GraphError({ ...classifyNetworkError({ error: null, origin: 'Graph' }), pkCode: 'PK_GRAPH_ERROR', detail: 'the batch item did not finish in time (null answer)' }),
    };
  }
  const headers: Record<string, string> = {};
  for (const h of item.headers ?? []) headers[h.name.toLowerCase()] = h.value;
  let body: unknown;
  let parsed = false;
  if (item.body !== undefined) {
    try {
      body = JSON.parse(item.body);
      parsed = true;
    } catch {
      body = undefined;
    }
  }
  const failed = item.code < 200 || item.code >= 300 || (item.body !== undefined && !parsed);
  if (!failed) return { code: item.code, headers, body };
  return { code: item.code, headers, body, error: new GraphError(classifyGraphError({ httpStatus: item.code, bodyText: item.body ?? '', headers, secrets })) };
}
