import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pkError } from '../../src/errors.js';
import { GraphError } from '../../src/graph/graph-error.js';
import { createServiceLogger, loggableUrl } from '../../src/service/server/create-service-logger.js';
import { errorResponse } from '../../src/service/server/error-response.js';
import { startService } from './service-harness.js';

const graphError = (kind: 'rate_limited' | 'token_invalid') =>
  new GraphError({ pkCode: 'PK_GRAPH_ERROR', kind, code: kind === 'rate_limited' ? 4 : 190, subcode: null, type: 'OAuthException', fbtraceId: null, isTransient: false, httpStatus: 400, tokenReason: null, retryAfterMs: 90_000, delivery: 'answered', userTitle: null, userMessage: null, detail: 'x' });

describe('error answers', () => {
  it.each([
    ['a PageKeeperError', pkError('PK_PAGE_NOT_FOUND', { pageId: '1' }), 404, 'PK_PAGE_NOT_FOUND'],
    ['PK_FORBIDDEN', pkError('PK_FORBIDDEN', { scope: 'tokens:read' }), 403, 'PK_FORBIDDEN'],
    ['PK_NO_VALID_TOKEN', pkError('PK_NO_VALID_TOKEN', { pageId: '1', reason: 'r', fix: 'f' }), 409, 'PK_NO_VALID_TOKEN'],
    ['a zod error', z.object({ a: z.string() }).safeParse({}).error, 400, 'PK_VALIDATION'],
    ['Facebook throttling', graphError('rate_limited'), 429, 'PK_RATE_LIMITED'],
    ['another Graph error', graphError('token_invalid'), 502, 'PK_GRAPH_ERROR'],
    ['an oversized body', Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'PK_BODY_TOO_LARGE'],
    ['a bad content type', Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 415, 'PK_VALIDATION'],
    ['an unexpected error', new TypeError('secret EAAB123 leaked in a message'), 500, 'PK_INTERNAL'],
  ])('maps %s', (_name, err, status, code) => {
    const r = errorResponse(err, 1024);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect(r.body.error.message).not.toContain('EAAB123');
  });

  it('sets Retry-After when Facebook throttles', () => {
    expect(errorResponse(graphError('rate_limited'), 1).headers).toEqual({ 'retry-after': '90' });
  });
});

describe('log lines', () => {
  it.each([
    ['/oauth/callback?code=AQBsecret&state=xyz', '/oauth/callback?code=***&state=***'],
    ['/webhooks/messenger?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1', '/webhooks/messenger?hub.mode=subscribe&hub.verify_token=***&hub.challenge=***'],
    ['/x?access_token=EAAB&ok=1#frag', '/x?access_token=***&ok=1'],
    ['/v1/pages', '/v1/pages'],
  ])('mask %s', (url, expected) => {
    expect(loggableUrl(url)).toBe(expected);
  });

  it('of a real request carry neither the key, the cookie nor the code', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const h = await startService({}, { logger: createServiceLogger({ level: 'debug', destination }) });
    const key = await h.key(['pages:read']);
    await h.server.app.inject({ url: '/v1/pages', headers: { authorization: `Bearer ${key}`, cookie: 'pk_admin=sessionsecret' } });
    await h.server.app.inject({ url: '/oauth/callback?code=AQDcodecodecode&state=statestate' });
    const text = lines.join('');
    expect(text).toContain('/v1/pages');
    for (const secret of [key, 'sessionsecret', 'AQDcodecodecode', 'statestate']) expect(text).not.toContain(secret);
  });
});
