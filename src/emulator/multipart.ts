/**
 * multipart/form-data bodies (RFC 7578) for every Graph route, as Facebook takes them:
 * `curl -F batch=... -F access_token=...`, batches with `attached_files`, attachment uploads.
 * Text fields become body fields exactly like urlencoded ones (a repeated name becomes an array,
 * as `node:querystring` does); a part with a `filename` becomes an {@link UploadedFile} under its
 * field name. The whole body is buffered (like the JSON and form parsers); limits are checked
 * before anything is kept. See docs/emulator.md "Multipart bodies".
 */
import type { FastifyInstance } from 'fastify';

/** A file part: its name as the client sent it, its declared type and its bytes. */
export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MultipartLimits {
  /** Largest single file, in bytes. */
  fileBytes: number;
  /** Largest whole body, in bytes (files, fields and framing). */
  bodyBytes: number;
  /** Most parts (fields plus files) in one body. */
  parts: number;
  /** Largest text field, in bytes. */
  fieldBytes: number;
}

const MIB = 1024 * 1024;
/**
 * 25 MB is the largest attachment the Messenger Platform takes (audio, video, file; images 8 MB):
 * https://developers.facebook.com/docs/messenger-platform/reference/attachment-upload-api/ . Facebook's
 * limit on a whole multipart body, on the number of parts and on a text field is not documented: the
 * emulator's numbers below are its own (unverified), set high enough for any real client.
 */
export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { fileBytes: 25 * MIB, bodyBytes: 26 * MIB, parts: 1000, fieldBytes: 1 * MIB };

/** Refused before any route runs; the emulator's error handler answers it as a Graph error (code 100). */
export class MultipartError extends Error {
  readonly statusCode = 400;
}

export function isUploadedFile(v: unknown): v is UploadedFile {
  return typeof v === 'object' && v !== null && Buffer.isBuffer((v as UploadedFile).data) && typeof (v as UploadedFile).filename === 'string';
}

/** The `boundary` parameter of a multipart/form-data Content-Type, quoted or not. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Parameters of a Content-Disposition header (`name`, `filename`, `filename*` decoded from RFC 5987). */
function dispositionParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    const key = m[1]!.toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    if (key === 'filename*') {
      const ext = /^([^']*)'[^']*'(.*)$/.exec(raw);
      try {
        out.filename = ext ? decodeURIComponent(ext[2]!) : raw;
      } catch {
        out.filename = raw;
      }
    } else if (!(key === 'filename' && out.filename !== undefined)) {
      out[key] = raw;
    }
  }
  return out;
}

function addValue(target: Record<string, unknown>, name: string, value: unknown) {
  if (!Object.prototype.hasOwnProperty.call(target, name)) {
    target[name] = value;
    return;
  }
  const prev = target[name];
  target[name] = Array.isArray(prev) ? [...(prev as unknown[]), value] : [prev, value];
}

/** Parses a whole multipart/form-data body; throws {@link MultipartError} saying what was wrong. */
export function parseMultipart(body: Buffer, contentType: string, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): Record<string, unknown> {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new MultipartError('The multipart/form-data body has no boundary in its Content-Type; send Content-Type: multipart/form-data; boundary=...');
  if (body.length > limits.bodyBytes) throw new MultipartError(`The request body is ${body.length} bytes; the largest accepted is ${limits.bodyBytes} bytes`);
  const dash = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may open the body directly or follow a preamble.
  let pos = body.subarray(0, dash.length).equals(dash) ? 0 : body.indexOf(delimiter);
  if (pos < 0) throw new MultipartError('The multipart/form-data body does not contain its boundary; check the boundary in the Content-Type');
  pos += pos === 0 ? dash.length : delimiter.length;
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let parts = 0;
  for (;;) {
    // After a delimiter: `--` closes the body, otherwise optional whitespace then CRLF opens a part.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw new MultipartError('The multipart/form-data body is malformed: a boundary line is not followed by CRLF');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    const next = body.indexOf(delimiter, pos);
    if (next < 0) throw new MultipartError('The multipart/form-data body ends before its closing boundary; it may have been cut off');
    if (headerEnd < 0 || headerEnd > next) throw new MultipartError('The multipart/form-data body is malformed: a part has no blank line after its headers');
    if (++parts > limits.parts) throw new MultipartError(`The multipart/form-data body has more than ${limits.parts} parts`);
    const headers: Record<string, string> = {};
    for (const line of body.toString('utf8', pos, headerEnd).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const data = body.subarray(headerEnd + 4, next);
    const disposition = headers['content-disposition'];
    if (!disposition || !/^form-data\b/i.test(disposition)) throw new MultipartError('A multipart/form-data part has no Content-Disposition: form-data header');
    const params = dispositionParams(disposition);
    const name = params.name;
    if (name === undefined || name === '') throw new MultipartError('A multipart/form-data part has no name in its Content-Disposition header');
    if (params.filename !== undefined) {
      if (data.length > limits.fileBytes) throw new MultipartError(`The file "${name}" is ${data.length} bytes; the largest file accepted is ${limits.fileBytes} bytes`);
      const file: UploadedFile = { filename: params.filename, contentType: headers['content-type'] || 'application/octet-stream', data: Buffer.from(data) };
      addValue(fields, name, file);
    } else {
      if (data.length > limits.fieldBytes) throw new MultipartError(`The field "${name}" is ${data.length} bytes; the largest text field accepted is ${limits.fieldBytes} bytes`);
      addValue(fields, name, data.toString('utf8'));
    }
    pos = next + delimiter.length;
  }
  return { ...fields };
}

/** Registers the parser on the emulator's app; Fastify's own body limit for it is the multipart body limit. */
export function registerMultipart(app: FastifyInstance, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: limits.bodyBytes }, (req, body, done) => {
    try {
      done(null, parseMultipart(body as Buffer, String(req.headers['content-type'] ?? ''), limits));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
