/**
 * multipart/form-data bodies reach every Graph route as urlencoded ones do (batches sent as
 * `curl -F`, sends), files arrive as { filename, contentType, data } with their exact bytes, and
 * malformed or oversized bodies answer a Graph error saying what was wrong, never a 500.
 */
import fc from 'fast-check';
import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_MULTIPART_LIMITS, MultipartError, parseMultipart, registerMultipart } from '../../src/emulator/multipart.js';
import { GRAPH_VERSION as V, longLivedToken, pageTokens, startTestEmulator } from '../helpers/emulator.js';

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

describe('multipart/form-data bodies on Graph routes', () => {
  it('a batch sent as multipart fields (curl -F) runs like the urlencoded one', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const batch = JSON.stringify([
      { method: 'GET', relative_url: 'me?fields=id,name' },
      { method: 'GET', relative_url: 'me/accounts?limit=1' },
    ]);
    const res = await fetch(`${emu.url}/${V}/`, { method: 'POST', body: form({ access_token: token, batch }) });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.status).toBe(200);
    const items = (await res.json()) as { code: number; body: string }[];
    expect(items.map((i) => i.code)).toEqual([200, 200]);
    expect(JSON.parse(items[0]!.body)).toEqual({ id: emu.users[0]!.id, name: expect.any(String) });
    expect(JSON.parse(items[1]!.body).data).toHaveLength(1);
  });

  it('a Send API call with multipart fields delivers the message (JSON fields parsed as in a form)', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const pageToken = (await pageTokens(emu, await longLivedToken(emu))).get(pageId)!;
    const { psid } = await emu.control.inbound(pageId, { text: 'hi' });
    const res = await fetch(`${emu.url}/${V}/me/messages`, {
      method: 'POST',
      body: form({ access_token: pageToken, recipient: JSON.stringify({ id: psid }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'sent as multipart ✓' }) }),
    });
    const body = (await res.json()) as { recipient_id: string; message_id: string };
    expect(res.status).toBe(200);
    expect(body).toEqual({ recipient_id: psid, message_id: expect.stringMatching(/^m_/) });
    expect((await emu.control.sentMessages(pageId)).at(-1)).toMatchObject({ messageId: body.message_id, message: { text: 'sent as multipart ✓' } });
  });

  it('a body without a boundary answers a Graph error (code 100, fbtrace_id) that says what to fix', async () => {
    const emu = await startTestEmulator();
    const res = await fetch(`${emu.url}/${V}/me`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'access_token=x' });
    expect(res.status).toBe(400);
    expect(res.headers.get('facebook-api-version')).toBe(V);
    const body = (await res.json()) as { error: { code: number; message: string; type: string; fbtrace_id: string } };
    expect(body.error).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
    expect(body.error.message).toMatch(/^\(#100\) .*no boundary.*boundary=/);
  });

  it('a body cut off before its closing boundary is refused, not half-read', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const raw = `--XyZ\r\nContent-Disposition: form-data; name="access_token"\r\n\r\n${token}\r\n--XyZ\r\nContent-Disposition: form-data; name="fields"\r\n\r\nid`;
    const res = await fetch(`${emu.url}/${V}/me`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: raw });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/closing boundary/);
  });
});

describe('the multipart parser that Graph routes receive files from', () => {
  async function echoApp(limits = DEFAULT_MULTIPART_LIMITS) {
    const app = Fastify();
    registerMultipart(app, limits);
    app.post('/echo', async (req) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
        out[k] = Buffer.isBuffer((v as { data?: unknown }).data) ? { ...(v as object), data: (v as { data: Buffer }).data.toString('base64') } : v;
      }
      return out;
    });
    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => reply.code(err.statusCode ?? 500).send({ message: err.message }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    onTestFinished(() => app.close());
    return url;
  }

  it('files become { filename, contentType, data } with their exact bytes; fields are strings, repeated names arrays', async () => {
    const url = await echoApp();
    // Bytes that look like framing must survive: CRLF, dashes, a fake boundary.
    const bytes = Buffer.concat([Buffer.from([0, 255, 13, 10, 45, 45]), Buffer.from('\r\n--not-the-boundary\r\n'), Buffer.alloc(70_000, 7)]);
    const f = new FormData();
    f.append('recipient', '{"id":"1"}');
    f.append('tag', 'a');
    f.append('tag', 'b');
    f.append('filedata', new Blob([bytes], { type: 'image/png' }), 'cat picture.png');
    f.append('text', 'Grüße ✓');
    const res = await fetch(`${url}/echo`, { method: 'POST', body: f });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      recipient: '{"id":"1"}',
      tag: ['a', 'b'],
      filedata: { filename: 'cat picture.png', contentType: 'image/png', data: bytes.toString('base64') },
      text: 'Grüße ✓',
    });
  });

  it('a file larger than the limit is refused with its field name and both sizes', async () => {
    const url = await echoApp({ ...DEFAULT_MULTIPART_LIMITS, fileBytes: 1000 });
    const f = new FormData();
    f.append('filedata', new Blob([Buffer.alloc(1001)]), 'big.bin');
    const res = await fetch(`${url}/echo`, { method: 'POST', body: f });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('The file "filedata" is 1001 bytes; the largest file accepted is 1000 bytes');
  });

  it('RFC 5987 filename* wins over filename, and a part without a filename is a text field', () => {
    const body = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name="f"; filename="x.txt"; filename*=UTF-8\'\'%C3%A4%20y.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
        '--b\r\nContent-Disposition: form-data; name="g"\r\n\r\nworld\r\n--b--\r\n',
    );
    const parsed = parseMultipart(body, 'multipart/form-data; boundary="b"');
    expect(parsed.f).toEqual({ filename: 'ä y.txt', contentType: 'text/plain', data: Buffer.from('hello') });
    expect(parsed.g).toBe('world');
  });

  it('hostile bodies either parse or throw a MultipartError (never anything else)', () => {
    const part = fc.record({ name: fc.string({ maxLength: 8 }), file: fc.boolean(), value: fc.uint8Array({ maxLength: 40 }), crlf: fc.boolean() });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), fc.boolean(), fc.uint8Array({ maxLength: 30 }), (parts, close, junk) => {
        const chunks: Buffer[] = [];
        for (const p of parts) {
          chunks.push(Buffer.from(`--B${p.crlf ? '\r\n' : ''}Content-Disposition: form-data; name="${p.name}"${p.file ? '; filename="f"' : ''}\r\n\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
        }
        chunks.push(close ? Buffer.from('--B--\r\n') : Buffer.from(junk));
        try {
          const out = parseMultipart(Buffer.concat(chunks), 'multipart/form-data; boundary=B');
          expect(typeof out).toBe('object');
        } catch (e) {
          expect(e).toBeInstanceOf(MultipartError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
