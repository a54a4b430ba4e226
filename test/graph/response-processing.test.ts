import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toBatchItemResult } from '../../src/graph/create-graph-client.js';
import { GraphError } from '../../src/graph/graph-error.js';
import { formatIssuePath, processResponse } from '../../src/graph/process-response.js';
import { meSchema } from '../../src/graph/schemas.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, headers, bodyText: JSON.stringify(body) });

function thrown(f: () => unknown): GraphError {
  try {
    f();
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
}

describe('processing a Graph response', () => {
  it('returns validated data with status, headers and usage', () => {
    const res = processResponse(json(200, { id: '1', name: 'N', extra: true }, { 'x-page-usage': '{"call_count":5}' }), { schema: meSchema, now: 9 });
    expect(res.data).toEqual({ id: '1', name: 'N' });
    expect(res.usage).toEqual({ app: null, pages: {}, page: { callCount: 5, totalTime: 0, totalCputime: 0 }, at: 9 });
  });

  it('turns an error body into a GraphError even on a 2xx', () => {
    expect(thrown(() => processResponse(json(200, { error: { message: 'x', code: 100 } }))).kind).toBe('invalid_request');
  });

  it('names nested field paths', () => {
    expect(formatIssuePath(['data', 0, 'access_token'])).toBe('data[0].access_token');
    expect(formatIssuePath([])).toBe('(body)');
    const e = thrown(() => processResponse(json(200, { a: { b: [1, 'x'] } }), { schema: z.object({ a: z.object({ b: z.array(z.number()) }) }) }));
    expect(e.message).toContain('a.b[1]: expected number');
  });

  it('keeps the error body as cause with secrets masked, never in the message', () => {
    const e = thrown(() => processResponse(json(400, { error: { message: 'bad', code: 100, access_token: 'EAAsecret' } }), { secrets: ['EAAsecret'] }));
    expect(JSON.stringify(e.cause)).not.toContain('EAAsecret');
    expect(e.message).not.toContain('EAAsecret');
  });
});

describe('processing one batch item', () => {
  it('parses the JSON-string body', () => {
    expect(toBatchItemResult({ code: 200, headers: [{ name: 'ETag', value: '"x"' }], body: '{"id":"1"}' })).toEqual({ code: 200, headers: { etag: '"x"' }, body: { id: '1' } });
  });
  it('gives a non-JSON body on a 200 an error', () => {
    expect(toBatchItemResult({ code: 200, body: '<html>' }).error?.pkCode).toBe('PK_GRAPH_BAD_RESPONSE');
  });
  it('gives a null item a transient error', () => {
    expect(toBatchItemResult(null).error).toMatchObject({ kind: 'transient', isTransient: true, delivery: 'unknown', pkCode: 'PK_GRAPH_ERROR' });
    expect(toBatchItemResult(null).error?.message).toContain('did not finish in time');
  });
});
