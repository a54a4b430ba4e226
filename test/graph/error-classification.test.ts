import { describe, expect, it } from 'vitest';
import { classifyGraphError, classifyNetworkError, GraphError, tokenReasonFromSubcode, type GraphErrorKind } from '../../src/graph/graph-error.js';

const err = (code: number, extra: Record<string, unknown> = {}) => JSON.stringify({ error: { message: `(#${code}) something`, type: 'OAuthException', code, fbtrace_id: 'Tr4ce', ...extra } });

describe('what a Graph error means', () => {
  it.each<[string, number, string, GraphErrorKind, string | null]>([
    ['1 unknown error', 400, err(1), 'transient', null],
    ['2 temporary service error', 500, err(2), 'transient', null],
    ['4 app rate limit', 400, err(4), 'rate_limited', null],
    ['10 permission denied', 403, err(10), 'permission', null],
    ['10/2018278 outside the messaging window', 400, err(10, { error_subcode: 2018278 }), 'permission', null],
    ['17 user rate limit', 400, err(17), 'rate_limited', null],
    ['32 page request limit', 400, err(32), 'rate_limited', null],
    ['100 invalid parameter', 400, err(100), 'invalid_request', null],
    ['100/33 object does not exist', 400, err(100, { error_subcode: 33 }), 'invalid_request', null],
    ['102 session key invalid', 400, err(102), 'token_invalid', 'invalid'],
    ['190 without subcode', 400, err(190), 'token_invalid', 'invalid'],
    ['190/458 app removed', 400, err(190, { error_subcode: 458 }), 'token_invalid', 'app_removed'],
    ['190/459 checkpoint', 400, err(190, { error_subcode: 459 }), 'token_invalid', 'checkpoint'],
    ['190/460 password changed', 400, err(190, { error_subcode: 460 }), 'token_invalid', 'password_changed'],
    ['190/463 expired', 400, err(190, { error_subcode: 463 }), 'token_invalid', 'expired'],
    ['190/464 unconfirmed user', 400, err(190, { error_subcode: 464 }), 'token_invalid', 'unconfirmed_user'],
    ['190/466 invalidated', 400, err(190, { error_subcode: 466 }), 'token_invalid', 'invalidated'],
    ['190/467 logged out', 400, err(190, { error_subcode: 467 }), 'token_invalid', 'logged_out'],
    ['190/492 page role removed', 400, err(190, { error_subcode: 492 }), 'token_invalid', 'page_role_removed'],
    ['190 with an unknown subcode', 400, err(190, { error_subcode: 12345 }), 'token_invalid', 'invalid'],
    ['200 permission', 403, err(200), 'permission', null],
    ['230 permission', 400, err(230), 'permission', null],
    ['299 permission', 400, err(299), 'permission', null],
    ['341 app limit', 400, err(341), 'rate_limited', null],
    ['368 policy block', 400, err(368), 'rate_limited', null],
    ['613 custom rate limit', 400, err(613, { error_subcode: 2534040 }), 'rate_limited', null],
    ['80001 too many calls to the Page', 400, err(80001), 'rate_limited', null],
    ['80006 Messenger', 400, err(80006), 'rate_limited', null],
    ['551 person not available', 400, err(551, { error_subcode: 1545041 }), 'invalid_request', null],
    ['is_transient flag on an unknown code', 500, err(9999, { is_transient: true }), 'transient', null],
    ['HTML 502 from a proxy', 502, '<html><body>Bad Gateway</body></html>', 'transient', null],
    ['HTML 503', 503, '<!DOCTYPE html><title>Down</title>', 'transient', null],
    ['malformed JSON', 500, '{"error": {"message": "trunc', 'transient', null],
    ['JSON 500 without an error object', 500, '{}', 'transient', null],
    ['JSON 429 without an error object', 429, '{}', 'rate_limited', null],
    ['JSON 404 without an error object', 404, '{"x":1}', 'invalid_request', null],
  ])('%s', (_name, httpStatus, bodyText, kind, reason) => {
    const facts = classifyGraphError({ httpStatus, bodyText, headers: { 'content-type': 'text/html' } });
    expect(facts.kind).toBe(kind);
    expect(facts.tokenReason).toBe(reason);
    expect(facts.delivery).toBe('answered');
    expect(facts.httpStatus).toBe(httpStatus);
    expect(facts.isTransient).toBe(kind === 'transient' || kind === 'rate_limited');
  });

  it('keeps code, subcode, type, trace id and the user-facing texts', () => {
    const facts = classifyGraphError({
      httpStatus: 400,
      bodyText: JSON.stringify({ error: { message: 'Error validating access token', type: 'OAuthException', code: 190, error_subcode: 460, error_user_title: 'Session expired', error_user_msg: 'Log in again', fbtrace_id: 'AbCdEf123' } }),
    });
    expect(facts).toMatchObject({ code: 190, subcode: 460, type: 'OAuthException', fbtraceId: 'AbCdEf123', userTitle: 'Session expired', userMessage: 'Log in again', pkCode: 'PK_GRAPH_ERROR' });
    const e = new GraphError(facts);
    expect(e.message).toBe('Facebook answered with an error: Error validating access token (code 190, subcode 460, HTTP 400)');
    expect(e.toPageKeeperError().code).toBe('PK_GRAPH_ERROR');
  });

  it('never requires a subcode, a type or a trace id', () => {
    const facts = classifyGraphError({ httpStatus: 400, bodyText: '{"error":{"message":"Invalid OAuth access token.","code":190}}' });
    expect(facts).toMatchObject({ kind: 'token_invalid', subcode: null, type: null, fbtraceId: null, tokenReason: 'invalid' });
  });

  it('calls non-JSON answers bad responses, naming the content type', () => {
    const facts = classifyGraphError({ httpStatus: 502, bodyText: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html; charset=utf-8' } });
    expect(facts.pkCode).toBe('PK_GRAPH_BAD_RESPONSE');
    expect(new GraphError(facts).message).toContain('HTTP 502 with a body that is not JSON (text/html)');
  });

  it('takes the wait for a throttled call from the usage header, else from the code', () => {
    const usage = JSON.stringify({ '1': [{ type: 'pages', call_count: 100, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 7 }] });
    expect(classifyGraphError({ httpStatus: 400, bodyText: err(80001), headers: { 'x-business-use-case-usage': usage } }).retryAfterMs).toBe(7 * 60_000);
    expect(classifyGraphError({ httpStatus: 400, bodyText: err(4) }).retryAfterMs).toBe(60_000);
    expect(classifyGraphError({ httpStatus: 400, bodyText: err(341) }).retryAfterMs).toBe(15 * 60_000);
    expect(classifyGraphError({ httpStatus: 400, bodyText: err(4), headers: { 'retry-after': '5' } }).retryAfterMs).toBe(5_000);
    expect(classifyGraphError({ httpStatus: 400, bodyText: err(190) }).retryAfterMs).toBeNull();
  });

  it('scrubs tokens Facebook echoes back in its message', () => {
    const facts = classifyGraphError({
      httpStatus: 400,
      bodyText: JSON.stringify({ error: { message: 'Malformed access token EAAGm0PX4ZCpsBAM0123456789abcdefXYZ', code: 190 } }),
    });
    expect(facts.detail).not.toContain('EAAGm0PX4ZCpsBAM');
  });

  it.each([
    [{ code: 'ECONNREFUSED' }, 'PK_GRAPH_UNREACHABLE', 'not_sent'],
    [{ code: 'ENOTFOUND' }, 'PK_GRAPH_UNREACHABLE', 'not_sent'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'PK_GRAPH_UNREACHABLE', 'not_sent'],
    [{ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } }, 'PK_GRAPH_UNREACHABLE', 'not_sent'],
    [{ code: 'ECONNRESET' }, 'PK_GRAPH_UNREACHABLE', 'unknown'],
    [{ code: 'UND_ERR_SOCKET' }, 'PK_GRAPH_UNREACHABLE', 'unknown'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'PK_GRAPH_TIMEOUT', 'unknown'],
    [new Error('something else'), 'PK_GRAPH_UNREACHABLE', 'unknown'],
  ])('network failure %o', (error, pkCode, delivery) => {
    const facts = classifyNetworkError({ error, origin: 'https://graph.facebook.com' });
    expect(facts).toMatchObject({ pkCode, delivery, kind: 'transient', code: 0, httpStatus: null });
  });

  it('maps every 190 subcode to a reason', () => {
    expect([458, 459, 460, 463, 464, 466, 467, 492, null, 1].map(tokenReasonFromSubcode)).toEqual([
      'app_removed', 'checkpoint', 'password_changed', 'expired', 'unconfirmed_user', 'invalidated', 'logged_out', 'page_role_removed', 'invalid', 'invalid',
    ]);
  });
});
