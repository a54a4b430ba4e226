import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

describe('a slow client', () => {
  it('that never finishes its headers is cut off by the request timeout', async () => {
    const h = await startService({}, { requestTimeoutMs: 300, headersTimeoutMs: 300 });
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.server.app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /v1/pages HTTP/1.1\r\nHost: x\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      // Ends the test by itself if the server never cuts the client off (the assertion then fails).
      socket.setTimeout(10_000, () => socket.destroy(new Error('the server kept the slow client connected')));
    });
    // Node answers 408 (or just closes); either way the connection ends without serving the request.
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });
});
