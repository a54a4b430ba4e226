import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { validateMessage } from '../../src/messenger/validate-message.js';

const to = { id: 'psid1' };
const ok = (message: unknown, extra: Record<string, unknown> = {}) => ({ recipient: to, messaging_type: 'RESPONSE', message, ...extra });
const qr = (n: number) => Array.from({ length: n }, (_, i) => ({ content_type: 'text', title: `R${i}`, payload: `P${i}` }));

function refusal(body: unknown): string {
  try {
    validateMessage(body);
  } catch (e) {
    if (isPageKeeperError(e, 'PK_MESSAGE_INVALID')) return e.message;
    throw e;
  }
  return 'ACCEPTED';
}

describe('valid bodies are accepted', () => {
  it.each([
    ['2000 plain characters', ok({ text: 'a'.repeat(2000) })],
    ['2000 emoji (code points, not UTF-16 units)', ok({ text: '😀'.repeat(2000) })],
    ['13 quick replies', ok({ text: 'pick', quick_replies: qr(13) })],
    ['quick reply title of 20 characters, numeric payload', ok({ text: 'pick', quick_replies: [{ content_type: 'text', title: 'x'.repeat(20), payload: 7 }] })],
    ['phone and email quick replies need no title', ok({ text: 'pick', quick_replies: [{ content_type: 'user_phone_number' }, { content_type: 'user_email' }] })],
    ['attachment with quick replies', ok({ attachment: { type: 'image', payload: { attachment_id: '1' } }, quick_replies: qr(1) })],
    ['template with any payload', ok({ attachment: { type: 'template', payload: { template_type: 'generic', elements: [{ title: 't' }] } } })],
    ['UPDATE', { recipient: to, messaging_type: 'UPDATE', message: { text: 'x' } }],
    ['MESSAGE_TAG with HUMAN_AGENT', { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'x' } }],
    ['sender action alone', { recipient: to, sender_action: 'typing_off' }],
    ['notification type', ok({ text: 'x' }, { notification_type: 'SILENT_PUSH' })],
  ])('%s', (_name, body) => {
    expect(refusal(body)).toBe('ACCEPTED');
  });
});

describe('invalid bodies are refused with a message naming the field', () => {
  it.each([
    ['text of 2001 characters', ok({ text: 'a'.repeat(2001) }), 'message.text is 2001 characters; at most 2000'],
    ['2001 emoji', ok({ text: '😀'.repeat(2001) }), 'message.text is 2001 characters'],
    ['empty text', ok({ text: '' }), 'message.text must not be empty'],
    ['blank text', ok({ text: '   ' }), 'message.text must not be empty'],
    ['14 quick replies', ok({ text: 'pick', quick_replies: qr(14) }), 'message.quick_replies has 14 replies; at most 13'],
    ['no quick replies in the array', ok({ text: 'pick', quick_replies: [] }), 'message.quick_replies must hold 1 to 13'],
    ['quick reply title of 21 characters', ok({ text: 'p', quick_replies: [{ content_type: 'text', title: 'x'.repeat(21), payload: 'p' }] }), 'message.quick_replies[0].title is 21 characters; at most 20'],
    ['text quick reply without title', ok({ text: 'p', quick_replies: [{ content_type: 'text', payload: 'p' }] }), 'message.quick_replies[0].title is required'],
    ['text quick reply without payload', ok({ text: 'p', quick_replies: [{ content_type: 'text', title: 't' }] }), 'message.quick_replies[0].payload is required'],
    ['quick reply payload of 1001 characters', ok({ text: 'p', quick_replies: [{ content_type: 'text', title: 't', payload: 'x'.repeat(1001) }] }), 'message.quick_replies[0].payload is 1001 characters; at most 1000'],
    ['unknown quick reply content type', ok({ text: 'p', quick_replies: [{ content_type: 'location' }] }), 'message.quick_replies[0].content_type must be one of text, user_phone_number, user_email'],
    ['quick reply image_url not http', ok({ text: 'p', quick_replies: [{ content_type: 'text', title: 't', payload: 'p', image_url: 'ftp://x' }] }), 'message.quick_replies[0].image_url must be an http or https URL'],
    ['MESSAGE_TAG without tag', { recipient: to, messaging_type: 'MESSAGE_TAG', message: { text: 'x' } }, 'tag is required with messaging_type MESSAGE_TAG: one of HUMAN_AGENT'],
    ['tag with RESPONSE', { recipient: to, messaging_type: 'RESPONSE', tag: 'HUMAN_AGENT', message: { text: 'x' } }, 'tag is only allowed with messaging_type MESSAGE_TAG'],
    ['retired tag CONFIRMED_EVENT_UPDATE', { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'CONFIRMED_EVENT_UPDATE', message: { text: 'x' } }, 'tag CONFIRMED_EVENT_UPDATE was retired by Facebook on 2026-04-27 (sends with it are answered with error code 100)'],
    ['retired tag ACCOUNT_UPDATE', { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE', message: { text: 'x' } }, 'tag ACCOUNT_UPDATE was retired by Facebook on 2026-04-27'],
    ['retired tag POST_PURCHASE_UPDATE', { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE', message: { text: 'x' } }, 'tag POST_PURCHASE_UPDATE was retired by Facebook on 2026-04-27'],
    ['unknown tag', { recipient: to, messaging_type: 'MESSAGE_TAG', tag: 'SHIPPING_UPDATE', message: { text: 'x' } }, 'tag "SHIPPING_UPDATE" is not a Messenger message tag; allowed: HUMAN_AGENT'],
    ['unknown messaging type', { recipient: to, messaging_type: 'NON_PROMOTIONAL_SUBSCRIPTION', message: { text: 'x' } }, 'messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG'],
    ['no messaging type with a message', { recipient: to, message: { text: 'x' } }, 'messaging_type is required with a message'],
    ['attachment without url or id', ok({ attachment: { type: 'image', payload: {} } }), 'message.attachment.payload needs a url (http or https) or an attachment_id for a image'],
    ['attachment with a file: url', ok({ attachment: { type: 'file', payload: { url: 'file:///etc/passwd' } } }), 'message.attachment.payload.url must be an http or https URL'],
    ['attachment with url and id', ok({ attachment: { type: 'video', payload: { url: 'https://x.test/v', attachment_id: '1' } } }), 'either url or attachment_id, not both'],
    ['is_reusable with attachment id', ok({ attachment: { type: 'audio', payload: { attachment_id: '1', is_reusable: true } } }), 'is_reusable only applies to an attachment sent by url'],
    ['unknown attachment type', ok({ attachment: { type: 'sticker', payload: {} } }), 'message.attachment.type must be one of image, video, audio, file, template'],
    ['template without template_type', ok({ attachment: { type: 'template', payload: { elements: [] } } }), 'message.attachment.payload.template_type is required'],
    ['text and attachment', ok({ text: 'x', attachment: { type: 'image', payload: { attachment_id: '1' } } }), 'either text or attachment, not both'],
    ['empty message', ok({}), 'message needs text or an attachment'],
    ['sender action with a message', { recipient: to, sender_action: 'typing_on', message: { text: 'x' } }, 'sender_action must be sent alone, without message'],
    ['unknown sender action', { recipient: to, sender_action: 'typing' }, 'sender_action must be one of typing_on, typing_off, mark_seen'],
    ['neither message nor sender action', { recipient: to, messaging_type: 'RESPONSE' }, 'the body needs a message or a sender_action'],
    ['no recipient', { messaging_type: 'RESPONSE', message: { text: 'x' } }, 'recipient is required'],
    ['empty recipient id', { recipient: { id: '' }, messaging_type: 'RESPONSE', message: { text: 'x' } }, 'recipient.id must not be empty'],
    ['misspelt field', { recipient: to, messagingType: 'RESPONSE', message: { text: 'x' } }, 'the body has unknown field messagingType'],
    ['misspelt message field', ok({ text: 'x', quickReplies: [] }), 'message has unknown field quickReplies'],
    ['not an object', 'hello', 'the body must be an object'],
  ])('%s', (_name, body, expected) => {
    expect(refusal(body)).toContain(expected);
  });

  it('lists every problem at once in details.problems', () => {
    try {
      validateMessage({ recipient: to, messaging_type: 'RESPONSE', tag: 'HUMAN_AGENT', message: { text: 'a'.repeat(2001), quick_replies: qr(14) } });
      expect.unreachable();
    } catch (e) {
      expect(isPageKeeperError(e, 'PK_MESSAGE_INVALID')).toBe(true);
      expect((e as { details: { problems: string[] } }).details.problems).toHaveLength(3);
    }
  });
});
