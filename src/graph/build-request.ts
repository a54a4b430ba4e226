/**
 * First half of every Graph call: turn a GraphRequest into exactly what goes on the wire.
 * Pure apart from the proof function it is given; tested on its own.
 */
import { GraphError } from './graph-error.js';
import { redactUrl } from './redact.js';
import type { GraphMethod, GraphRequest, Params } from './types.js';

export interface RequestTarget {
  /** Parsed `graphUrl`: its origin and an optional path prefix. */
  graphUrl: URL;
  graphVersion: string;
  proof: (token: string) => string;
}

export interface BuiltRequest {
  origin: string;
  /** Path and query, as sent. */
  path: string;
  method: GraphMethod;
  headers: Record<string, string>;
  body: string | undefined;
  /** An already encoded body (multipart uploads); sent instead of `body` when set. */
  bytes?: Uint8Array | undefined;
  /** The full URL with secrets masked: the only form that may be logged. */
  redactedUrl: string;
  idempotent: boolean;
  /** The token this call carries, for scrubbing Facebook's messages. */
  token: string | undefined;
}

const VERSIONED = /^v\d+\.\d+(\/|$)/;
const USER_AGENT = 'pagekeeper';

function paramValue(v: NonNullable<Params[string]>): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Refusal for URLs that would send the token somewhere else (a `paging.next` on another host). */
function foreignOrigin(url: string, origin: string): GraphError {
  return new GraphError({
    pkCode: 'PK_GRAPH_BAD_RESPONSE',
    kind: 'invalid_request',
    code: 0,
    subcode: null,
    type: null,
    fbtraceId: null,
    isTransient: false,
    httpStatus: null,
    tokenReason: null,
    retryAfterMs: null,
    delivery: 'not_sent',
    userTitle: null,
    userMessage: null,
    detail: `refusing to send a token to ${redactUrl(url)}, which is not on ${origin}`,
  });
}

// Paths the fast builder handles: plain segments, no query, no fragment, no escapes. Anything
// else (a paging.next URL, `me/accounts?limit=100`, dot segments) goes through URL parsing.
const PLAIN_PATH = /^[A-Za-z0-9_\-.~/]*$/;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
// Characters URLSearchParams leaves as they are (application/x-www-form-urlencoded).
const FORM_SAFE = /^[A-Za-z0-9*\-._]*$/;

/** Encodes exactly as URLSearchParams.toString() does, without building one (the hot path). */
function formEncode(value: string): string {
  if (FORM_SAFE.test(value)) return value;
  return encodeURIComponent(value).replace(/[!'()~]|%20/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
}

const REDACTED_MEMO_SIZE = 256;

interface ParsedTarget {
  origin: string;
  prefix: string;
  /** Redacted URLs by URL: a busy client logs the same few URLs over and over. */
  redacted: Map<string, string>;
}
// Origin and path prefix of a target, computed once per target object instead of once per call.
const parsedTargets = new WeakMap<RequestTarget, ParsedTarget>();
function parseTarget(target: RequestTarget): ParsedTarget {
  let t = parsedTargets.get(target);
  if (t === undefined) {
    t = { origin: target.graphUrl.origin, prefix: target.graphUrl.pathname.replace(/\/+$/, ''), redacted: new Map() };
    parsedTargets.set(target, t);
  }
  return t;
}

/** A BuiltRequest whose redacted URL is only worked out when something logs or reports it. */
class Built implements BuiltRequest {
  readonly origin: string;
  readonly method: GraphMethod;
  readonly idempotent: boolean;
  readonly bytes: Uint8Array | undefined;
  constructor(
    private readonly parsed: ParsedTarget,
    readonly path: string,
    req: GraphRequest<unknown>,
    readonly headers: Record<string, string>,
    readonly body: string | undefined,
    readonly token: string | undefined,
  ) {
    this.origin = parsed.origin;
    this.method = req.method;
    this.idempotent = req.idempotent ?? req.method === 'GET';
    this.bytes = req.raw?.body;
  }

  get redactedUrl(): string {
    const url = `${this.origin}${this.path}`;
    const memo = this.parsed.redacted;
    let r = memo.get(url);
    if (r === undefined) {
      r = redactUrl(url);
      if (memo.size >= REDACTED_MEMO_SIZE) memo.clear();
      memo.set(url, r);
    }
    return r;
  }
}

/**
 * Resolves the path against the pinned version, merges params, and attaches the token with its
 * appsecret_proof: in the query (Facebook's documented way) or, for form posts such as batch,
 * in the form body.
 */
/**
 * Headers and body of a request. With a form body (batch) the token and its proof travel inside
 * the form, as Facebook requires for batch; otherwise the caller puts them in the query.
 */
function payload(target: RequestTarget, req: GraphRequest<unknown>, token: string | undefined): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (req.raw !== undefined) {
    headers['content-type'] = req.raw.contentType;
    return { headers, body: undefined };
  }
  if (req.form !== undefined) {
    const form = new URLSearchParams(req.form);
    if (token !== undefined) {
      form.set('access_token', token);
      form.set('appsecret_proof', target.proof(token));
    }
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { headers, body: form.toString() };
  }
  if (req.json === undefined) return { headers, body: undefined };
  headers['content-type'] = 'application/json';
  return { headers, body: JSON.stringify(req.json) };
}

export function buildRequest(target: RequestTarget, req: GraphRequest<unknown>): BuiltRequest {
  const parsed = parseTarget(target);
  const { origin, prefix } = parsed;
  const rel = req.path.replace(/^\/+/, '');
  // Fast path, same output as the URL path below: a plain relative path (`{page-id}/messages`).
  if (PLAIN_PATH.test(rel) && !DOT_SEGMENT.test(rel) && !(req.params !== undefined && ('access_token' in req.params || 'appsecret_proof' in req.params))) {
    const versioned = VERSIONED.test(rel) ? rel : `${target.graphVersion}/${rel}`;
    let query = '';
    if (req.params !== undefined) {
      for (const k of Object.keys(req.params)) {
        const v = req.params[k];
        if (v === undefined || v === null) continue;
        query += `${query === '' ? '' : '&'}${formEncode(k)}=${formEncode(paramValue(v))}`;
      }
    }
    const token = req.token;
    const { headers, body } = payload(target, req, token);
    if (token !== undefined && req.form === undefined) query += `${query === '' ? '' : '&'}access_token=${formEncode(token)}&appsecret_proof=${formEncode(target.proof(token))}`;
    return new Built(parsed, `${prefix}/${versioned}${query === '' ? '' : `?${query}`}`, req, headers, body, token);
  }

  let url: URL;
  if (/^https?:\/\//i.test(req.path)) {
    url = new URL(req.path);
    if (url.origin !== origin) throw foreignOrigin(req.path, origin);
  } else {
    const versioned = VERSIONED.test(rel) ? rel : `${target.graphVersion}/${rel}`;
    url = new URL(`${origin}${prefix}/${versioned}`);
  }
  url.hash = '';

  const query = url.searchParams;
  for (const [k, v] of Object.entries(req.params ?? {})) {
    if (v === undefined || v === null) continue;
    query.set(k, paramValue(v));
  }
  // A paging.next URL carries the token it was issued for; the caller's token wins.
  const token = req.token ?? query.get('access_token') ?? undefined;
  query.delete('access_token');
  query.delete('appsecret_proof');

  const { headers, body } = payload(target, req, token);
  if (token !== undefined && req.form === undefined) {
    query.set('access_token', token);
    query.set('appsecret_proof', target.proof(token));
  }

  return new Built(parsed, `${url.pathname}${url.search}`, req, headers, body, token);
}
