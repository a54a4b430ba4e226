import { describe, expect, it } from 'vitest';
import { audio, file, image, quickReplies, senderAction, template, text, toSendBody, video } from '../../src/messenger/build-message.js';
import { validateMessage } from '../../src/messenger/validate-message.js';

describe('send helpers build the Send API body', () => {
  const cases: Array<[string, ReturnType<typeof text>, unknown]> = [
    ['text', text('hi'), { message: { text: 'hi' } }],
    ['text with metadata', text('hi', { metadata: 'm1' }), { message: { text: 'hi', metadata: 'm1' } }],
    ['image by url', image('https://x.test/a.png'), { message: { attachment: { type: 'image', payload: { url: 'https://x.test/a.png' } } } }],
    [
      'image by url, reusable',
      image('https://x.test/a.png', { isReusable: true }),
      { message: { attachment: { type: 'image', payload: { url: 'https://x.test/a.png', is_reusable: true } } } },
    ],
    ['video by attachment id', video({ attachmentId: '123' }), { message: { attachment: { type: 'video', payload: { attachment_id: '123' } } } }],
    ['audio', audio('http://x.test/a.mp3'), { message: { attachment: { type: 'audio', payload: { url: 'http://x.test/a.mp3' } } } }],
    ['file', file({ attachmentId: '9' }), { message: { attachment: { type: 'file', payload: { attachment_id: '9' } } } }],
    [
      'template passed through',
      template({ template_type: 'button', text: 'Pick', buttons: [{ type: 'postback', title: 'A', payload: 'A' }] }),
      { message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'Pick', buttons: [{ type: 'postback', title: 'A', payload: 'A' }] } } } },
    ],
    [
      'quick replies from strings and objects',
      quickReplies('Colour?', ['Red', { content_type: 'user_email' }]),
      { message: { text: 'Colour?', quick_replies: [{ content_type: 'text', title: 'Red', payload: 'Red' }, { content_type: 'user_email' }] } },
    ],
    ['sender action', senderAction('typing_on'), { sender_action: 'typing_on' }],
  ];
  it.each(cases)('%s', (_name, built, expected) => {
    expect(built).toEqual(expected);
  });

  it('toSendBody adds recipient and messaging_type RESPONSE by default, and the result validates', () => {
    const body = toSendBody('psid1', text('hello'));
    expect(body).toEqual({ recipient: { id: 'psid1' }, messaging_type: 'RESPONSE', message: { text: 'hello' } });
    expect(JSON.stringify(body)).toBe('{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{"text":"hello"}}');
    expect(() => validateMessage(body)).not.toThrow();
  });

  it('toSendBody carries the HUMAN_AGENT tag with MESSAGE_TAG', () => {
    const body = toSendBody('p', text('late answer'), { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect(body).toEqual({ recipient: { id: 'p' }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'late answer' } });
    expect(() => validateMessage(body)).not.toThrow();
  });

  it('toSendBody accepts a bare message object', () => {
    expect(toSendBody('p', { text: 'x' }, { messagingType: 'UPDATE' })).toEqual({ recipient: { id: 'p' }, messaging_type: 'UPDATE', message: { text: 'x' } });
  });

  it('toSendBody sends a sender action alone, without messaging_type', () => {
    const body = toSendBody('p', senderAction('mark_seen'), { messagingType: 'RESPONSE' });
    expect(body).toEqual({ recipient: { id: 'p' }, sender_action: 'mark_seen' });
    expect(() => validateMessage(body)).not.toThrow();
  });

  it('every helper output validates once addressed', () => {
    for (const [, built] of cases) expect(() => validateMessage(toSendBody('p', built))).not.toThrow();
  });
});
