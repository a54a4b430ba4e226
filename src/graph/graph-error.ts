/**
 * One typed error for everything that can go wrong talking to Graph, and the pure decision of
 * what a Graph answer means (docs/graph-api.md "Error object";
 * https://developers.facebook.com/docs/graph-api/guides/error-handling/).
 */
import { pkError, type PageKeeperError } from '../errors.js';
import type { TokenInvalidReason } from '../core/types.js';
import { redactText } from './redact.js';
import { parseUsageHeaders, regainAccessMs, type UsageSnapshot } from './usage.js';

export type GraphErrorKind = 'token_invalid' | 'permission' | 'rate_limited' | 'transient' | 'invalid_request';
/** Whether the request reached Facebook: decides if a non-idempotent call may be retried. */
export type GraphDelivery = 'not_sent' | 'unknown' | 'answered';
export type GraphPkCode = 'PK_GRAPH_ERROR' | 'PK_GRAPH_BAD_RESPONSE' | 'PK_GRAPH_UNREACHABLE' | 'PK_GRAPH_TIMEOUT';

/** Everything a GraphError carries; built by the classify functions below. */
export interface GraphErrorFacts {
  pkCode: GraphPkCode;
  kind: GraphErrorKind;
  /** Graph's error code; 0 when the failure is not a Graph error (network, bad body). */
  code: number;
  subcode: number | null;
  type: string | null;
  fbtraceId: string | null;
  /** True when the same call may succeed later (transient and rate-limited failures, or Graph's is_transient). */
  isTransient: boolean;
  httpStatus: number | null;
  tokenReason: TokenInvalidReason | null;
  /** How long to wait before trying again; null when nothing says. */
  retryAfterMs: number | null;
  delivery: GraphDelivery;
  userTitle: string | null;
  userMessage: string | null;
  /** The detail that goes into the message: Facebook's message (redacted) with code/subcode. */
  detail: string;
  /** For PK_GRAPH_TIMEOUT. */
  timeoutMs?: number;
  /** For PK_GRAPH_UNREACHABLE. */
  origin?: string;
}

export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly pkCode: GraphPkCode;
  readonly kind: GraphErrorKind;
  readonly code: number;
  readonly subcode: number | null;
  readonly type: string | null;
  readonly fbtraceId: string | null;
  readonly isTransient: boolean;
  readonly httpStatus: number | null;
  readonly tokenReason: TokenInvalidReason | null;
  readonly retryAfterMs: number | null;
  readonly delivery: GraphDelivery;
  readonly userTitle: string | null;
  readonly userMessage: string | null;
  /** What to do about it, for people (from the error table). */
  readonly fix: string | undefined;
  /** The secret-free detail inside the message (Facebook's message with code and subcode). */
  readonly detail: string;
  readonly #params: Record<string, string | number>;

  constructor(facts: GraphErrorFacts, options: { cause?: unknown } = {}) {
    const params = { detail: facts.detail, ms: facts.timeoutMs ?? 0, origin: facts.origin ?? 'Graph' };
    const pk = pkError(facts.pkCode, params);
    super(pk.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.pkCode = facts.pkCode;
    this.kind = facts.kind;
    this.code = facts.code;
    this.subcode = facts.subcode;
    this.type = facts.type;
    this.fbtraceId = facts.fbtraceId;
    this.isTransient = facts.isTransient;
    this.httpStatus = facts.httpStatus;
    this.tokenReason = facts.tokenReason;
    this.retryAfterMs = facts.retryAfterMs;
    this.delivery = facts.delivery;
    this.userTitle = facts.userTitle;
    this.userMessage = facts.userMessage;
    this.fix = pk.fix;
    this.detail = facts.detail;
    this.#params = params;
  }

  /** The same failure as a PageKeeperError, for the CLI and the service's error mapping. */
  toPageKeeperError(): PageKeeperError {
    return pkError(this.pkCode, this.#params, {
      cause: this,
      details: { graphCode: this.code, graphSubcode: this.subcode, kind: this.kind, fbtraceId: this.fbtraceId, httpStatus: this.httpStatus },
    });
  }
}

export function isGraphError(e: unknown): e is GraphError {
  return e instanceof GraphError;
}

// 190 subcodes, docs/graph-api.md "Error object".
const TOKEN_REASONS: Readonly<Record<number, TokenInvalidReason>> = {
  458: 'app_removed',
  459: 'checkpoint',
  460: 'password_changed',
  463: 'expired',
  464: 'unconfirmed_user',
  466: 'invalidated',
  467: 'logged_out',
  492: 'page_role_removed',
};

/** Why a token is invalid, from the 190 subcode (debug_token's `subcode` or an error's `error_subcode`). */
export function tokenReasonFromSubcode(subcode: number | null | undefined): TokenInvalidReason {
  return (subcode !== null && subcode !== undefined && TOKEN_REASONS[subcode]) || 'invalid';
}

const MINUTE = 60_000;
/**
 * Waits used when a throttling error comes without X-Business-Use-Case-Usage timing. Facebook
 * counts usage over rolling windows and documents no exact wait; a minute lets a rolling hour
 * budget drop noticeably, while 341/368 (app limit, policy block) call for much longer.
 */
export const DEFAULT_RETRY_AFTER_MS: Readonly<Record<string, number>> = {
  default: MINUTE,
  341: 15 * MINUTE,
  368: 60 * MINUTE,
};

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 341, 368]);

/** The kind of a Graph error from its code (table in docs/graph-api.md "Error object"). */
export function graphErrorKind(code: number, isTransientFlag: boolean, httpStatus: number | null): GraphErrorKind {
  if (code === 102 || code === 190 || TOKEN_REASONS[code] !== undefined) return 'token_invalid';
  if (code === 10 || (code >= 200 && code <= 299)) return 'permission';
  // 80000-80099 are the business-use-case limits (80001 Pages, 80006 Messenger, ...).
  if (RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80099) || httpStatus === 429) return 'rate_limited';
  if (code === 1 || code === 2 || isTransientFlag) return 'transient';
  if (code === 0 && httpStatus !== null && httpStatus >= 500) return 'transient';
  return 'invalid_request';
}

type HeaderBag = Record<string, string | string[] | undefined>;

export interface GraphAnswer {
  httpStatus: number;
  /** The raw body text; parsed here so that non-JSON answers are classified too. */
  bodyText: string;
  headers?: HeaderBag;
  /** Already-parsed usage; parsed from headers when absent. */
  usage?: UsageSnapshot;
  /** Exact secrets to scrub from Facebook's message (the call's token, the app secret). */
  secrets?: readonly (string | undefined)[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function intOrNull(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}
function strOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function retryAfterHeaderMs(headers: HeaderBag | undefined): number | null {
  const raw = headers?.['retry-after'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined) return null;
  const secs = Number(v);
  return Number.isFinite(secs) && secs >= 0 ? secs * 1000 : null;
}

function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Decides what an HTTP answer that is not a success means. Pure: the same answer always gives
 * the same facts. Accepts every variant in the notes (no subcode, no fbtrace_id, no type) and
 * answers that are not Graph errors at all (an HTML 502 from a proxy, a truncated body).
 */
export function classifyGraphError(answer: GraphAnswer): GraphErrorFacts {
  const { httpStatus, bodyText, headers } = answer;
  const usage = answer.usage ?? parseUsageHeaders(headers ?? {}, 0);
  const parsed = parseBody(bodyText);
  const base = { delivery: 'answered' as const, httpStatus, userTitle: null, userMessage: null, fbtraceId: null, type: null, subcode: null, tokenReason: null };

  if (!parsed.ok) {
    // A proxy or load balancer page, or a body cut short: nothing Graph said, so try again later.
    const contentType = headers?.['content-type'];
    // The header is whatever the other end sent: bounded and scrubbed before it joins a message.
    const ct = redactText((Array.isArray(contentType) ? contentType[0] : contentType)?.split(';')[0]?.slice(0, 100) ?? 'no content type', answer.secrets);
    return {
      ...base,
      pkCode: 'PK_GRAPH_BAD_RESPONSE',
      kind: 'transient',
      code: 0,
      isTransient: true,
      retryAfterMs: retryAfterHeaderMs(headers),
      detail: `HTTP ${httpStatus} with a body that is not JSON (${ct})`,
    };
  }

  const error = isRecord(parsed.value) && isRecord(parsed.value.error) ? parsed.value.error : null;
  if (!error) {
    const kind = httpStatus === 429 ? 'rate_limited' : httpStatus >= 500 ? 'transient' : 'invalid_request';
    return {
      ...base,
      pkCode: 'PK_GRAPH_ERROR',
      kind,
      code: 0,
      isTransient: kind !== 'invalid_request',
      retryAfterMs: retryAfterHeaderMs(headers) ?? (kind === 'rate_limited' ? DEFAULT_RETRY_AFTER_MS.default! : null),
      detail: `HTTP ${httpStatus} without a Graph error object`,
    };
  }

  const code = intOrNull(error.code) ?? 0;
  const subcode = intOrNull(error.error_subcode) ?? intOrNull(error.subcode);
  const flag = error.is_transient === true;
  const kind = graphErrorKind(code, flag, httpStatus);
  const fbMessage = redactText(typeof error.message === 'string' ? error.message : 'no message', answer.secrets);
  const retryAfterMs =
    kind === 'rate_limited'
      ? (regainAccessMs(usage) ?? retryAfterHeaderMs(headers) ?? DEFAULT_RETRY_AFTER_MS[String(code)] ?? DEFAULT_RETRY_AFTER_MS.default!)
      : kind === 'transient'
        ? retryAfterHeaderMs(headers)
        : null;
  const userTitle = strOrNull(error.error_user_title);
  const userMessage = strOrNull(error.error_user_msg);
  return {
    ...base,
    pkCode: 'PK_GRAPH_ERROR',
    kind,
    code,
    subcode,
    type: strOrNull(error.type),
    fbtraceId: strOrNull(error.fbtrace_id),
    isTransient: flag || kind === 'transient' || kind === 'rate_limited',
    tokenReason: kind === 'token_invalid' ? tokenReasonFromSubcode(subcode ?? (TOKEN_REASONS[code] ? code : null)) : null,
    retryAfterMs,
    userTitle: userTitle === null ? null : redactText(userTitle, answer.secrets),
    userMessage: userMessage === null ? null : redactText(userMessage, answer.secrets),
    detail: `${fbMessage} (code ${code}${subcode === null ? '' : `, subcode ${subcode}`}${httpStatus ? `, HTTP ${httpStatus}` : ''})`,
  };
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && isRecord(e); i++) {
    if (typeof e.code === 'string') return e.code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface NetworkFailure {
  error: unknown;
  origin: string;
  /** Set when our own per-attempt timer fired. */
  timedOutAfterMs?: number;
  connectTimeoutMs?: number;
}

/**
 * Decides what a failure without an HTTP answer means. The delivery matters most: a refused
 * connection never reached Facebook, so even a Send API POST may be retried; a timeout or a
 * reset after the request was written may have been acted on (Facebook does not de-duplicate sends).
 */
export function classifyNetworkError(failure: NetworkFailure): GraphErrorFacts {
  const code = errorCode(failure.error);
  const base = {
    kind: 'transient' as const,
    code: 0,
    subcode: null,
    type: null,
    fbtraceId: null,
    isTransient: true,
    httpStatus: null,
    tokenReason: null,
    retryAfterMs: null,
    userTitle: null,
    userMessage: null,
    origin: failure.origin,
  };
  if (failure.timedOutAfterMs !== undefined || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return { ...base, pkCode: 'PK_GRAPH_TIMEOUT', delivery: 'unknown', timeoutMs: failure.timedOutAfterMs ?? 0, detail: 'timeout' };
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    const detail = code === 'UND_ERR_CONNECT_TIMEOUT' ? `connecting timed out after ${failure.connectTimeoutMs ?? '?'} ms` : code;
    return { ...base, pkCode: 'PK_GRAPH_UNREACHABLE', delivery: 'not_sent', detail };
  }
  // ECONNRESET, EPIPE, UND_ERR_SOCKET, anything unknown: the request may have been written.
  return { ...base, pkCode: 'PK_GRAPH_UNREACHABLE', delivery: 'unknown', detail: code ?? 'connection failed' };
}

/** A response that arrived but cannot be used (wrong shape for the caller's schema). */
export function badResponseFacts(httpStatus: number, detail: string): GraphErrorFacts {
  return {
    pkCode: 'PK_GRAPH_BAD_RESPONSE',
    kind: 'invalid_request',
    code: 0,
    subcode: null,
    type: null,
    fbtraceId: null,
    isTransient: false,
    httpStatus,
    tokenReason: null,
    retryAfterMs: null,
    delivery: 'answered',
    userTitle: null,
    userMessage: null,
    detail,
  };
}
