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

/**
 * Resolves the path against the pinned version, merges params, and attaches the token with its
 * appsecret_proof: in the query (Facebook's documented way) or, for form posts such as batch,
 * in the form body.
 */
export function buildRequest(target: RequestTarget, req: GraphRequest<unknown>): BuiltRequest {
  const origin = target.graphUrl.origin;
  const prefix = target.graphUrl.pathname.replace(/\/+$/, '');
  let url: URL;
  if (/^https?:\/\//i.test(req.path)) {
    url = new URL(req.path);
    if (url.origin !== origin) throw foreignOrigin(req.path, origin);
  } else {
    const rel = req.path.replace(/^\/+/, '');
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

  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  let body: string | undefined;
  if (req.form !== undefined) {
    const form = new URLSearchParams(req.form);
    if (token !== undefined) {
      form.set('access_token', token);
      form.set('appsecret_proof', target.proof(token));
    }
    body = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    if (token !== undefined) {
      query.set('access_token', token);
      query.set('appsecret_proof', target.proof(token));
    }
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
  }

  const path = `${url.pathname}${url.search}`;
  return {
    origin,
    path,
    method: req.method,
    headers,
    body,
    redactedUrl: redactUrl(`${origin}${path}`),
    idempotent: req.idempotent ?? req.method === 'GET',
    token,
  };
}
