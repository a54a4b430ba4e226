import { describe, expect, it } from 'vitest';
import { inboundContacts, WebhookBodySchema } from '../../src/service/webhooks/webhook-event.js';

const NOW = new Date(1_800_000_000_000);
const body = (messaging: unknown[], extra: Record<string, unknown> = {}) =>
  WebhookBodySchema.parse({ object: 'page', entry: [{ id: 'PAGE', time: 1, messaging, ...extra }], unknown_field: true });

describe('inbound contacts from a webhook body', () => {
  it.each([
    ['a message', [{ sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_799_999_000_000, message: { mid: 'm', text: 'hi' } }], [{ pageId: 'PAGE', psid: 'U1', at: new Date(1_799_999_000_000) }]],
    ['a postback', [{ sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_799_999_000_000, postback: { payload: 'GO' } }], [{ pageId: 'PAGE', psid: 'U1', at: new Date(1_799_999_000_000) }]],
    ['an echo of what the Page sent', [{ sender: { id: 'PAGE' }, recipient: { id: 'U1' }, timestamp: 1, message: { is_echo: true } }], []],
    ['a read receipt', [{ sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1, read: { watermark: 1 } }], []],
    ['a future timestamp (clamped to now)', [{ sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_900_000_000_000, message: {} }], [{ pageId: 'PAGE', psid: 'U1', at: NOW }]],
    ['a timestamp in seconds (taken as now)', [{ sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_799_999_000, message: {} }], [{ pageId: 'PAGE', psid: 'U1', at: NOW }]],
    [
      'two messages from one person (the later wins)',
      [
        { sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_799_999_000_000, message: {} },
        { sender: { id: 'U1' }, recipient: { id: 'PAGE' }, timestamp: 1_799_999_500_000, message: {} },
      ],
      [{ pageId: 'PAGE', psid: 'U1', at: new Date(1_799_999_500_000) }],
    ],
  ])('%s', (_name, messaging, expected) => {
    expect(inboundContacts(body(messaging), NOW)).toEqual(expected);
  });

  it('ignores bodies for other objects', () => {
    expect(inboundContacts(WebhookBodySchema.parse({ object: 'user', entry: [{ id: 'X', messaging: [{ sender: { id: 'U' }, message: {} }] }] }), NOW)).toEqual([]);
  });

  it('records an Instagram DM under the Instagram account and IGSID, but not its echo', () => {
    const ig = WebhookBodySchema.parse({
      object: 'instagram',
      entry: [
        {
          id: 'IG',
          time: 1,
          messaging: [
            { sender: { id: 'IGSID' }, recipient: { id: 'IG' }, timestamp: 1_799_999_000_000, message: { mid: 'm', text: 'hi' } },
            { sender: { id: 'IG' }, recipient: { id: 'IGSID' }, timestamp: 1_799_999_100_000, message: { mid: 'e', text: 'reply', is_echo: true } },
          ],
        },
      ],
    });
    expect(inboundContacts(ig, NOW)).toEqual([{ pageId: 'IG', psid: 'IGSID', at: new Date(1_799_999_000_000) }]);
  });

  it('accepts numeric ids and unknown fields but not a body without entries', () => {
    expect(WebhookBodySchema.safeParse({ object: 'page', entry: [{ id: 123, changes: [{ field: 'feed' }] }] }).success).toBe(true);
    expect(WebhookBodySchema.safeParse({ object: 'page' }).success).toBe(false);
  });
});
