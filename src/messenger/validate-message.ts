/**
 * Checks a Send API body before it is queued or sent, so a mistake is reported at once, in
 * words that name the field, instead of as a Graph code 100 minutes later from the outbox.
 *
 * zod checks the shape (types, known fields, enums); the rules that relate fields to each
 * other (text or attachment, tag only with MESSAGE_TAG, limits in characters) are written by
 * hand below because they read better that way and give better messages.
 *
 * Character counts use Unicode code points (`[...s].length`): Facebook documents "2000
 * characters" without saying which unit, and code points are what a person counts as
 * characters for almost all text (an emoji is one, not two as in UTF-16 code units).
 */
import { z } from 'zod';
import { pkError } from '../errors.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../core/json-depth.js';
import {
  ACTIVE_TAGS,
  DEPRECATED_TAGS,
  MAX_QUICK_REPLIES,
  MAX_QUICK_REPLY_PAYLOAD_CHARACTERS,
  MAX_QUICK_REPLY_TITLE_CHARACTERS,
  MAX_TEXT_CHARACTERS,
  MEDIA_TYPES,
  MESSAGING_TYPES,
  QUICK_REPLY_CONTENT_TYPES,
  SENDER_ACTIONS,
} from './types.js';
import type { SendBody } from './types.js';

const MAX_METADATA_CHARACTERS = 1000;

const quickReplySchema = z.strictObject({
  content_type: z.enum(QUICK_REPLY_CONTENT_TYPES),
  title: z.string().optional(),
  payload: z.union([z.string(), z.number()]).optional(),
  image_url: z.string().optional(),
});

const attachmentSchema = z.strictObject({
  type: z.enum([...MEDIA_TYPES, 'template']),
  // The payload's fields depend on the type; checked by hand in checkAttachment.
  payload: z.record(z.string(), z.unknown()),
});

const messageSchema = z.strictObject({
  text: z.string().optional(),
  attachment: attachmentSchema.optional(),
  quick_replies: z.array(quickReplySchema).optional(),
  metadata: z.string().optional(),
});

// pagekeeper addresses people by PSID only (recipient.id); user_ref, phone_number and
// comment-based private replies are outside its scope.
const sendBodySchema = z.strictObject({
  recipient: z.strictObject({ id: z.string().min(1) }),
  messaging_type: z.enum(MESSAGING_TYPES).optional(),
  tag: z.string().optional(),
  message: messageSchema.optional(),
  sender_action: z.enum(SENDER_ACTIONS).optional(),
  notification_type: z.enum(['REGULAR', 'SILENT_PUSH', 'NO_PUSH']).optional(),
  persona_id: z.string().min(1).optional(),
});

type ParsedBody = z.infer<typeof sendBodySchema>;

/** `['message','quick_replies',2,'title']` -> `message.quick_replies[2].title` */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? 'the body' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldPath(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      // zod leaves `input` out of issues by default; its message says what was received.
      return /received undefined$/.test(issue.message) ? `${field} is required` : `${field} must be ${article(issue.expected)}`;
    case 'unrecognized_keys':
      return `${field} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `${field} must not be empty`;
    default:
      return `${field}: ${issue.message}`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function characters(s: string): number {
  return [...s].length;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkMessagingType(body: ParsedBody, problems: string[]): void {
  if (body.sender_action !== undefined && body.messaging_type === undefined) return;
  if (body.messaging_type === undefined) {
    problems.push(`messaging_type is required with a message: one of ${MESSAGING_TYPES.join(', ')}`);
    return;
  }
  if (body.messaging_type !== 'MESSAGE_TAG') {
    if (body.tag !== undefined) problems.push(`tag is only allowed with messaging_type MESSAGE_TAG (got messaging_type ${body.messaging_type})`);
    return;
  }
  if (body.tag === undefined) {
    problems.push(`tag is required with messaging_type MESSAGE_TAG: one of ${ACTIVE_TAGS.join(', ')}`);
    return;
  }
  problems.push(...tagProblems(body.tag));
}

/** Why a tag is refused, or nothing when Facebook still accepts it. */
export function tagProblems(tag: string): string[] {
  if ((ACTIVE_TAGS as readonly string[]).includes(tag)) return [];
  const retired = (DEPRECATED_TAGS as Record<string, { since: string } | undefined>)[tag];
  if (retired !== undefined) {
    return [
      `tag ${tag} was retired by Facebook on ${retired.since} (sends with it are answered with error code 100); ` +
        `answer within 24 hours with messaging_type RESPONSE, or use tag HUMAN_AGENT for a person's reply within 7 days`,
    ];
  }
  return [`tag ${JSON.stringify(tag)} is not a Messenger message tag; allowed: ${ACTIVE_TAGS.join(', ')}`];
}

function checkAttachment(attachment: NonNullable<NonNullable<ParsedBody['message']>['attachment']>, problems: string[]): void {
  const p = attachment.payload;
  if (attachment.type === 'template') {
    if (typeof p['template_type'] !== 'string' || p['template_type'] === '') {
      problems.push('message.attachment.payload.template_type is required for a template (generic, button, media, ...)');
    }
    return;
  }
  const url = p['url'];
  const id = p['attachment_id'];
  const allowed = new Set(['url', 'attachment_id', 'is_reusable']);
  const unknown = Object.keys(p).filter((k) => !allowed.has(k));
  if (unknown.length > 0) problems.push(`message.attachment.payload has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (url !== undefined && id !== undefined) {
    problems.push('message.attachment.payload must have either url or attachment_id, not both');
  } else if (url === undefined && id === undefined) {
    problems.push(`message.attachment.payload needs a url (http or https) or an attachment_id for a ${attachment.type}`);
  } else if (url !== undefined) {
    if (typeof url !== 'string' || !isHttpUrl(url)) problems.push('message.attachment.payload.url must be an http or https URL');
  } else if (typeof id !== 'string' || id === '') {
    problems.push('message.attachment.payload.attachment_id must be a non-empty string');
  }
  const reusable = p['is_reusable'];
  if (reusable !== undefined) {
    if (typeof reusable !== 'boolean') problems.push('message.attachment.payload.is_reusable must be a boolean');
    else if (url === undefined) problems.push('message.attachment.payload.is_reusable only applies to an attachment sent by url');
  }
}

function checkQuickReplies(replies: NonNullable<NonNullable<ParsedBody['message']>['quick_replies']>, problems: string[]): void {
  if (replies.length === 0) problems.push(`message.quick_replies must hold 1 to ${MAX_QUICK_REPLIES} replies (got none); leave it out instead`);
  if (replies.length > MAX_QUICK_REPLIES) problems.push(`message.quick_replies has ${replies.length} replies; at most ${MAX_QUICK_REPLIES} are allowed`);
  replies.forEach((r, i) => {
    const field = `message.quick_replies[${i}]`;
    if (r.content_type === 'text') {
      if (r.title === undefined || r.title.trim() === '') problems.push(`${field}.title is required for a text quick reply`);
      else if (characters(r.title) > MAX_QUICK_REPLY_TITLE_CHARACTERS) {
        problems.push(`${field}.title is ${characters(r.title)} characters; at most ${MAX_QUICK_REPLY_TITLE_CHARACTERS} are allowed`);
      }
      if (r.payload === undefined || r.payload === '') problems.push(`${field}.payload is required for a text quick reply`);
    }
    if (r.payload !== undefined && characters(String(r.payload)) > MAX_QUICK_REPLY_PAYLOAD_CHARACTERS) {
      problems.push(`${field}.payload is ${characters(String(r.payload))} characters; at most ${MAX_QUICK_REPLY_PAYLOAD_CHARACTERS} are allowed`);
    }
    if (r.image_url !== undefined && !isHttpUrl(r.image_url)) problems.push(`${field}.image_url must be an http or https URL`);
  });
}

function checkMessage(message: NonNullable<ParsedBody['message']>, problems: string[]): void {
  const hasText = message.text !== undefined;
  const hasAttachment = message.attachment !== undefined;
  if (hasText && hasAttachment) problems.push('message must have either text or attachment, not both');
  if (!hasText && !hasAttachment) problems.push('message needs text or an attachment');
  if (message.text !== undefined) {
    const n = characters(message.text);
    if (message.text.trim() === '') problems.push('message.text must not be empty');
    else if (n > MAX_TEXT_CHARACTERS) problems.push(`message.text is ${n} characters; at most ${MAX_TEXT_CHARACTERS} are allowed`);
  }
  if (message.attachment !== undefined) checkAttachment(message.attachment, problems);
  if (message.quick_replies !== undefined) checkQuickReplies(message.quick_replies, problems);
  if (message.metadata !== undefined && characters(message.metadata) > MAX_METADATA_CHARACTERS) {
    problems.push(`message.metadata is ${characters(message.metadata)} characters; at most ${MAX_METADATA_CHARACTERS} are allowed`);
  }
}

/**
 * Throws `PK_MESSAGE_INVALID` naming every problem (field by field) when `body` is not a
 * Send API body Facebook would accept; returns nothing when it is. `details.problems` lists them.
 */
export function validateMessage(body: unknown): asserts body is SendBody {
  // Before zod and before the outbox's JSON.stringify: both recurse, and would overflow the stack.
  if (nestedDeeperThan(body)) throw pkError('PK_MESSAGE_INVALID', { detail: `the body nests more than ${MAX_JSON_DEPTH} levels deep` });
  const parsed = sendBodySchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describeIssue);
    throw pkError('PK_MESSAGE_INVALID', { detail: problems.join('; ') }, { details: { problems } });
  }
  const b = parsed.data;
  const problems: string[] = [];
  if (b.sender_action !== undefined && b.message !== undefined) {
    problems.push('sender_action must be sent alone, without message; send the typing indicator and the message as two requests');
  } else if (b.sender_action === undefined && b.message === undefined) {
    problems.push('the body needs a message or a sender_action');
  }
  checkMessagingType(b, problems);
  if (b.message !== undefined) checkMessage(b.message, problems);
  if (problems.length > 0) throw pkError('PK_MESSAGE_INVALID', { detail: problems.join('; ') }, { details: { problems } });
}
