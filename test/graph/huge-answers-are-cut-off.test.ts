/**
 * A Graph answer larger than the limit (20 MB by default) is refused while it arrives, as one
 * PK_GRAPH_BAD_RESPONSE, instead of being read into memory: a 300 MB /me/accounts once took
 * `connect` to 1.3 GB.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGraphClient, DEFAULT_MAX_RESPONSE_BYTES } from '../../src/graph/create-graph-client.js';
import { startStub } from './stub-server.js';

const MB = 1024 * 1024;

async function hugeAnswerStub(totalBytes: number) {
  let written = 0;
  const stub = await startStub(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"data":[');
    const chunk = Buffer.from(`${'{"id":"1","name":"x"},'.repeat(4096)}`);
    while (written < totalBytes && !res.destroyed) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r).once('close', r));
      written += chunk.length;
    }
    if (!res.destroyed) res.end('{"id":"2"}]}');
  });
  onTestFinished(() => stub.stop());
  return { stub, written: () => written };
}

describe('a Graph answer over the size limit', () => {
  it('fails with PK_GRAPH_BAD_RESPONSE and stops reading early (limit given)', async () => {
    const { stub, written } = await hugeAnswerStub(64 * MB);
    const graph = createGraphClient({ graphUrl: stub.url, appId: '1', appSecret: 's', maxResponseBytes: 1 * MB, maxRetries: 2, retryBaseMs: 1 });
    onTestFinished(() => graph.close());
    await expect(graph.get('me/accounts', {}, { token: 'EAAtoken' })).rejects.toMatchObject({ pkCode: 'PK_GRAPH_BAD_RESPONSE', message: expect.stringContaining('larger than 1048576 bytes') });
    // Not retried (the same answer would come back), and the server was cut off long before the end.
    expect(stub.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(written()).toBeLessThan(32 * MB);
  });

  it('is 20 MB by default, and an answer under it is read normally', async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(20 * MB);
    const { stub } = await hugeAnswerStub(24 * MB);
    const graph = createGraphClient({ graphUrl: stub.url, appId: '1', appSecret: 's', maxRetries: 0 });
    onTestFinished(() => graph.close());
    const before = process.memoryUsage().rss;
    await expect(graph.get('me/accounts', {}, { token: 'EAAtoken' })).rejects.toMatchObject({ pkCode: 'PK_GRAPH_BAD_RESPONSE' });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * MB);

    const small = await startStub((_req, res) => res.end(JSON.stringify({ data: Array.from({ length: 100 }, (_, i) => ({ id: String(i) })) })));
    onTestFinished(() => small.stop());
    const ok = createGraphClient({ graphUrl: small.url, appId: '1', appSecret: 's' });
    onTestFinished(() => ok.close());
    expect(((await ok.get('me/accounts', {}, { token: 'EAAtoken' })) as { data: unknown[] }).data).toHaveLength(100);
  });
});
