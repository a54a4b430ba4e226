/**
 * Whatever comes back from "Facebook" (random bytes, truncated JSON, wrong
 * types, error objects with garbage fields, huge bodies, any status) the client ends in typed
 * data or one GraphError with a PK code, and no secret of the call in its message.
 */
import fc from 'fast-check';
import type { ZodType } from 'zod';
import { describe, expect, it } from 'vitest';
import { createGraphClient } from '../../src/graph/create-graph-client.js';
import { GraphError } from '../../src/graph/graph-error.js';
import { processResponse } from '../../src/graph/process-response.js';
import { meSchema, batchResponseSchema } from '../../src/graph/schemas.js';
import { startStub } from '../graph/stub-server.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const TOKEN = 'EAAtokenUnderTest0123456789abcdefghijklmnop';
const SECRET = 'app-secret-under-test-0123456789';

/** JSON-ish values, including Graph-shaped error objects whose fields have the wrong types. */
const jsonValue = fc.oneof(
  fc.jsonValue(),
  fc.record({ error: fc.record({ message: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(TOKEN)), code: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), error_subcode: fc.oneof(fc.integer(), fc.string()), type: fc.anything(), fbtrace_id: fc.anything(), is_transient: fc.anything() }, { requiredKeys: [] }) }),
  fc.record({ data: fc.oneof(fc.array(fc.anything(), { maxLength: 5 }), fc.anything()), paging: fc.anything() }, { requiredKeys: [] }),
  fc.record({ id: fc.anything(), name: fc.anything() }, { requiredKeys: [] }),
);
const bodyText = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v) ?? 'null'),
  jsonValue.chain((v) => {
    const text = JSON.stringify(v) ?? 'null';
    return fc.nat({ max: text.length }).map((n) => text.slice(0, n));
  }),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constant(`<html><body>502 Bad Gateway ${TOKEN}</body></html>`),
  fc.constant(`{"error":{"message":"Invalid OAuth access token ${TOKEN} for ${SECRET}","code":190}}`),
);
const headers = fc.dictionary(
  fc.constantFrom('x-app-usage', 'x-business-use-case-usage', 'x-page-usage', 'retry-after', 'www-authenticate', 'content-type'),
  fc.oneof(fc.string(), jsonValue.map((v) => JSON.stringify(v) ?? '')),
);

function assertCoded(e: unknown) {
  expect(e).toBeInstanceOf(GraphError);
  const g = e as GraphError;
  expect(g.pkCode).toMatch(/^PK_GRAPH_[A-Z_]+$/);
  expect(g.message).not.toContain(TOKEN);
  expect(g.message).not.toContain(SECRET);
}

describe('processResponse', () => {
  it('answers typed data or throws one GraphError, for any status, headers and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), headers, bodyText, fc.constantFrom<(ZodType | undefined)[]>(undefined, meSchema, batchResponseSchema), (status, h, text, schema) => {
        try {
          const r = processResponse({ status, headers: h, bodyText: text }, { schema, secrets: [TOKEN, SECRET] });
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(300);
          expect(r.status).toBe(status);
        } catch (e) {
          assertCoded(e);
        }
      }),
      { numRuns: SOAK ? 5000 : 200 },
    );
  });

  it('copes with a 5 MB body in one piece', () => {
    const huge = JSON.stringify({ data: Array.from({ length: 50_000 }, (_, i) => ({ id: String(i), name: 'x'.repeat(80) })) });
    expect(huge.length).toBeGreaterThan(4_000_000);
    expect(() => processResponse({ status: 200, headers: {}, bodyText: huge.slice(0, -1) }, { secrets: [TOKEN] })).toThrow(GraphError);
    expect(processResponse({ status: 200, headers: {}, bodyText: huge }).status).toBe(200);
  });
});

describe('the Graph client over a socket', () => {
  it('ends every call against a hostile server in data or a coded GraphError', async () => {
    const answers: { status: number; headers: Record<string, string>; body: string }[] = [];
    const stub = await startStub((_req, res, n) => {
      const a = answers[n - 1] ?? { status: 200, headers: {}, body: '{}' };
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
    const client = createGraphClient({ graphUrl: stub.url, appId: '123456789', appSecret: SECRET, maxRetries: 0, timeoutMs: 2_000 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 200, max: 599 }), bodyText, fc.boolean(), async (status, body, paginate) => {
          answers.push({ status, headers: {}, body });
          try {
            if (paginate) {
              // paging.next pointing anywhere: the client must refuse foreign origins and loops.
              for await (const _ of client.paginate('me/accounts', {}, { token: TOKEN, itemSchema: meSchema, maxPages: 1 })) void _;
            } else await client.get('me', {}, { token: TOKEN, schema: meSchema });
          } catch (e) {
            assertCoded(e);
          }
        }),
        { numRuns: SOAK ? 500 : 60 },
      );
      // A body far bigger than Graph ever sends is read and refused by shape, not a crash.
      answers.length = 0;
      stub.requests.length = 0;
      answers.push({ status: 200, headers: {}, body: `{"id":"1","name":"${'n'.repeat(8_000_000)}` });
      await client.get('me', {}, { token: TOKEN, schema: meSchema }).then(
        () => expect.unreachable('a truncated body was accepted'),
        (e: unknown) => assertCoded(e),
      );
    } finally {
      await client.close();
      await stub.stop();
    }
  }, 60_000);
});
