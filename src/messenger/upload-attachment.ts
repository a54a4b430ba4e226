/**
 * The Attachment Upload API: `POST /me/message_attachments` with the Page token
 * (https://developers.facebook.com/docs/messenger-platform/reference/attachment-upload-api).
 * By URL (Facebook fetches it) as JSON, or a local file as multipart/form-data built with undici's
 * FormData (`message` = the attachment as JSON, `filedata` = the file). The answer's
 * `attachment_id` is sent later as `message.attachment.payload.attachment_id`, by `send` or
 * through the outbox, without uploading the media again. Facebook keeps uploaded attachments for
 * 90 days.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { FormData, Response } from 'undici';
import { z } from 'zod';
import { pkError } from '../errors.js';
import { MEDIA_TYPES, type MediaType } from './types.js';

/** 25 MB per attachment (Send API reference); Facebook refuses more with 100/2018109. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

const CONTENT_TYPES: Record<string, { type: MediaType; contentType: string }> = {
  '.png': { type: 'image', contentType: 'image/png' },
  '.jpg': { type: 'image', contentType: 'image/jpeg' },
  '.jpeg': { type: 'image', contentType: 'image/jpeg' },
  '.gif': { type: 'image', contentType: 'image/gif' },
  '.webp': { type: 'image', contentType: 'image/webp' },
  '.mp4': { type: 'video', contentType: 'video/mp4' },
  '.mov': { type: 'video', contentType: 'video/quicktime' },
  '.mp3': { type: 'audio', contentType: 'audio/mpeg' },
  '.m4a': { type: 'audio', contentType: 'audio/mp4' },
  '.wav': { type: 'audio', contentType: 'audio/wav' },
  '.ogg': { type: 'audio', contentType: 'audio/ogg' },
  '.pdf': { type: 'file', contentType: 'application/pdf' },
};

export type UploadInput =
  | { url: string; type?: MediaType; isReusable?: boolean }
  | {
      /** The bytes, or a path to read them from. */
      file: Uint8Array | string;
      type: MediaType;
      /** Default: the path's name, or `attachment`. */
      filename?: string;
      /** Default: from the file name's extension. */
      contentType?: string;
      isReusable?: boolean;
    };

export interface UploadResult {
  attachmentId: string;
}

/** What the upload POSTs; `raw` is the encoded multipart body. */
export type UploadRequest = { json: Record<string, unknown> } | { raw: { contentType: string; body: Uint8Array } };

/** The media type a file name suggests (`.png` -> image); undefined when it says nothing. */
export function mediaTypeOf(name: string): { type: MediaType; contentType: string } | undefined {
  return CONTENT_TYPES[extname(name).toLowerCase()];
}

function checkType(type: unknown): MediaType {
  if (typeof type !== 'string' || !(MEDIA_TYPES as readonly string[]).includes(type)) {
    throw pkError('PK_ATTACHMENT_INVALID', { detail: `type must be one of ${MEDIA_TYPES.join(', ')}` });
  }
  return type as MediaType;
}

/** Builds the request for one upload (reads the file when given a path); the Graph call is the caller's. */
export async function buildUploadRequest(input: UploadInput): Promise<UploadRequest> {
  if ('url' in input) {
    let u: URL | undefined;
    try {
      u = new URL(input.url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) throw pkError('PK_ATTACHMENT_INVALID', { detail: 'url must be an http or https URL that Facebook can fetch' });
    const type = checkType(input.type ?? mediaTypeOf(u.pathname)?.type ?? 'file');
    return { json: { message: { attachment: { type, payload: { url: input.url, is_reusable: input.isReusable ?? true } } } } };
  }
  const type = checkType(input.type);
  let bytes: Uint8Array;
  let name = input.filename;
  if (typeof input.file === 'string') {
    try {
      bytes = await readFile(input.file);
    } catch (e) {
      throw pkError('PK_ATTACHMENT_INVALID', { detail: `cannot read ${input.file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}` });
    }
    name ??= basename(input.file);
  } else bytes = input.file;
  name ??= 'attachment';
  if (bytes.length === 0) throw pkError('PK_ATTACHMENT_INVALID', { detail: 'the file is empty' });
  if (bytes.length > MAX_ATTACHMENT_BYTES) throw pkError('PK_ATTACHMENT_INVALID', { detail: `the file is ${bytes.length} bytes; Facebook takes at most ${MAX_ATTACHMENT_BYTES} (25 MB)` });
  const contentType = input.contentType ?? mediaTypeOf(name)?.contentType ?? 'application/octet-stream';
  const form = new FormData();
  form.set('message', JSON.stringify({ attachment: { type, payload: { is_reusable: input.isReusable ?? true } } }));
  form.set('filedata', new Blob([bytes], { type: contentType }), name);
  // undici encodes the form (boundary included in the content type); the Graph client sends the bytes.
  const encoded = new Response(form);
  const body = new Uint8Array(await encoded.arrayBuffer());
  return { raw: { contentType: encoded.headers.get('content-type') ?? 'multipart/form-data', body } };
}

const UploadAnswer = z.object({ attachment_id: z.union([z.string().min(1), z.number()]) });

/** `{"attachment_id":"1857777774821032"}` -> `{ attachmentId }`; pure. */
export function toUploadResult(answer: unknown): UploadResult {
  const parsed = UploadAnswer.safeParse(answer);
  if (!parsed.success) throw pkError('PK_GRAPH_BAD_RESPONSE', { detail: 'the attachment upload answer has no attachment_id' });
  return { attachmentId: String(parsed.data.attachment_id) };
}
