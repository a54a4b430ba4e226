/**
 * Checks an Instagram Send API body before it is queued or sent, with Instagram's own limits
 * (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message):
 * - text is UTF-8 and 1,000 bytes at most (checked in bytes, not characters);
 * - up to 10 attachments (`message.attachments[]`, or one `message.attachment`) of type image,
 *   audio, video or file, each by `url` or `attachment_id`;
 * - quick replies of type text, at most 13;
 * - reactions: `sender_action: react|unreact` with `payload: {message_id, reaction}`;
 * - `messaging_type` RESPONSE, UPDATE, or MESSAGE_TAG with tag HUMAN_AGENT (7 days).
 */
import { z } from 'zod';
import { pkError } from '../errors.js';
import type { SendBody } from '../messenger/types.js';

export const INSTAGRAM_TEXT_MAX_BYTES = 1000;
export const INSTAGRAM_MAX_ATTACHMENTS = 10;
export const INSTAGRAM_MAX_QUICK_REPLIES = 13;
export const INSTAGRAM_ATTACHMENT_TYPES = ['image', 'audio', 'video', 'file'] as const;
export const INSTAGRAM_SENDER_ACTIONS = ['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact'] as const;

const attachment = z.strictObject({
  type: z.enum(INSTAGRAM_ATTACHMENT_TYPES),
  payload: z.union([z.strictObject({ url: z.string().url(), is_reusable: z.boolean().optional() }), z.strictObject({ attachment_id: z.string().min(1) })]),
});

const bodySchema = z.strictObject({
  recipient: z.strictObject({ id: z.string().regex(/^\d+$/, 'must be the IGSID of a person who wrote to the Instagram account') }),
  messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']).optional(),
  tag: z.string().optional(),
  message: z
    .strictObject({
      text: z.string().optional(),
      attachment: attachment.optional(),
      attachments: z.array(attachment).optional(),
      quick_replies: z.array(z.strictObject({ content_type: z.literal('text'), title: z.string().min(1), payload: z.union([z.string().min(1), z.number()]) })).optional(),
      metadata: z.string().optional(),
    })
    .optional(),
  sender_action: z.enum(INSTAGRAM_SENDER_ACTIONS).optional(),
  payload: z.strictObject({ message_id: z.string().min(1), reaction: z.string().min(1).optional() }).optional(),
});

function invalid(detail: string): never {
  throw pkError('PK_MESSAGE_INVALID', { detail }, { details: { channel: 'instagram' } });
}

const path = (p: ReadonlyArray<PropertyKey>) => p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${String(x)}`)).join('').replace(/^\./, '') || 'the body';

/** @throws PK_MESSAGE_INVALID naming the field and Instagram's limit. */
export function validateInstagramMessage(body: unknown): SendBody {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    invalid(`${path(issue.path)}: ${issue.message} (Instagram)`);
  }
  const b = parsed.data;
  const problems: string[] = [];
  if (b.message !== undefined && b.sender_action !== undefined) problems.push('send either message or sender_action, not both');
  if (b.message === undefined && b.sender_action === undefined) problems.push('message or sender_action is required');
  if (b.message !== undefined) {
    const m = b.message;
    if (b.messaging_type === undefined) problems.push('messaging_type is required with a message: one of RESPONSE, UPDATE, MESSAGE_TAG');
    if (m.text === undefined && m.attachment === undefined && m.attachments === undefined) problems.push('message needs text or attachments');
    if (m.text !== undefined) {
      const bytes = Buffer.byteLength(m.text, 'utf8');
      if (m.text === '') problems.push('message.text must not be empty');
      else if (bytes > INSTAGRAM_TEXT_MAX_BYTES) problems.push(`message.text is ${bytes} bytes; Instagram allows ${INSTAGRAM_TEXT_MAX_BYTES} bytes of UTF-8 (shorten it or split it in two messages)`);
    }
    if (m.attachment !== undefined && m.attachments !== undefined) problems.push('give message.attachment or message.attachments, not both');
    if (m.attachments !== undefined && (m.attachments.length === 0 || m.attachments.length > INSTAGRAM_MAX_ATTACHMENTS)) {
      problems.push(`message.attachments must hold 1 to ${INSTAGRAM_MAX_ATTACHMENTS} attachments (got ${m.attachments.length})`);
    }
    if (m.quick_replies !== undefined && (m.quick_replies.length === 0 || m.quick_replies.length > INSTAGRAM_MAX_QUICK_REPLIES)) {
      problems.push(`message.quick_replies must hold 1 to ${INSTAGRAM_MAX_QUICK_REPLIES} replies`);
    }
  }
  if (b.messaging_type === 'MESSAGE_TAG' && b.tag !== 'HUMAN_AGENT') problems.push('Instagram accepts only tag HUMAN_AGENT with messaging_type MESSAGE_TAG');
  if (b.messaging_type !== 'MESSAGE_TAG' && b.tag !== undefined) problems.push('tag is only allowed with messaging_type MESSAGE_TAG');
  if (b.sender_action === 'react' && (b.payload === undefined || b.payload.reaction === undefined)) problems.push('sender_action react needs payload {message_id, reaction} (for example "reaction":"love")');
  if (b.sender_action === 'unreact' && b.payload === undefined) problems.push('sender_action unreact needs payload {message_id}');
  if (b.payload !== undefined && b.sender_action !== 'react' && b.sender_action !== 'unreact') problems.push('payload is only for sender_action react or unreact');
  if (problems.length > 0) invalid(problems.join('; '));
  return body as SendBody;
}
