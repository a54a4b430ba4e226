import { ZodError } from 'zod';
import { isPageKeeperError, pkError, type PageKeeperError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';

/** The body of every error answer: `{"error":{"code","message","fix"?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; fix?: string };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Only unexpected errors are logged with their stack. */
  unexpected: boolean;
}

/** Fastify's own errors that are the client's fault, by Fastify error code. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { status: number; message: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type; send application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, message: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, message: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, message: '' },
};

function fromPk(e: PageKeeperError, status = e.status): ErrorResponse {
  // A 5xx PageKeeperError is still an expected, coded failure (database down, Graph error).
  return { status, body: { error: e.toJSON() }, headers: {}, unexpected: false };
}

/**
 * Maps anything thrown in a route to a status and a coded body. Pure, so the mapping is a table
 * test; never lets a message through that was not written for people (an unexpected error
 * answers "unexpected error" and is logged instead).
 */
export function errorResponse(err: unknown, bodyLimit: number): ErrorResponse {
  if (isGraphError(err)) {
    if (err.kind === 'rate_limited') {
      const retryAfter = Math.max(1, Math.ceil((err.retryAfterMs ?? 60_000) / 1000));
      const r = fromPk(pkError('PK_RATE_LIMITED', { retryAfter }), 429);
      return { ...r, headers: { 'retry-after': String(retryAfter) } };
    }
    return fromPk(err.toPageKeeperError());
  }
  if (isPageKeeperError(err)) {
    if (err.code === 'PK_RATE_LIMITED') {
      const retryAfter = String(err.details.retryAfter ?? 60);
      return { ...fromPk(err), headers: { 'retry-after': retryAfter } };
    }
    // A few errors answer with a status other than their table's (PK_INTERNAL "outbox not configured" is a 503).
    const status = typeof err.details.status === 'number' ? err.details.status : err.status;
    return fromPk(err, status);
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return fromPk(pkError('PK_VALIDATION', { detail: `${where}${issue?.message ?? 'invalid'}` }));
  }
  const e = err as { code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown };
  if (e !== null && typeof e === 'object') {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fromPk(pkError('PK_BODY_TOO_LARGE', { limit: bodyLimit }));
    const known = typeof e.code === 'string' ? FASTIFY_CLIENT_ERRORS[e.code] : undefined;
    if (known) return { status: known.status, body: { error: { code: 'PK_VALIDATION', message: `Invalid request: ${known.message}` } }, headers: {}, unexpected: false };
    // Other 4xx from Fastify or its plugins (bad URL encoding, bad cookies): the client's fault.
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      const status = e.statusCode;
      const code = status === 404 ? 'PK_NOT_FOUND' : status === 413 ? 'PK_BODY_TOO_LARGE' : 'PK_VALIDATION';
      return { status, body: { error: { code, message: 'Invalid request' } }, headers: {}, unexpected: false };
    }
  }
  return { status: 500, body: { error: { code: 'PK_INTERNAL', message: 'Internal error: unexpected error' } }, headers: {}, unexpected: true };
}
