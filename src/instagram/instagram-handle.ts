/**
 * `page(id).instagram`: the Instagram inbox of the account linked to a Page, reached with the
 * Page token (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message).
 * Thin: every call goes through the messenger with `channel: 'instagram'`, so Instagram sends get
 * the same window checks, outbox, throttle (their own budget) and error handling as Messenger's.
 */
import type { Messenger } from '../messenger/create-messenger.js';
import { toSendBody } from '../messenger/build-message.js';
import type { EnqueueOptions, EnqueueResult } from '../messenger/outbox.js';
import type { DirectSendOptions, SendResult } from '../messenger/send.js';
import type { Outgoing, OutgoingMessage, SendBody, SendOptions } from '../messenger/types.js';

/** An Instagram message: Messenger's shapes, plus `attachments` (up to 10). */
export type InstagramMessage = Outgoing | OutgoingMessage | { attachments: Array<{ type: 'image' | 'audio' | 'video' | 'file'; payload: { url: string } | { attachment_id: string } }>; text?: never };

export interface InstagramHandle {
  /** Sends now to a person (IGSID) who wrote to the Page's Instagram account. */
  send(igsid: string, message: InstagramMessage, options?: SendOptions & DirectSendOptions): Promise<SendResult>;
  /** Reacts to one of the person's messages (`sender_action: react`, default reaction `love`). */
  react(igsid: string, messageId: string, reaction?: string): Promise<SendResult>;
  /** Stores the message in the outbox for the worker; `body` is a full Send API body with the IGSID as recipient. */
  enqueue(body: unknown, options?: Omit<EnqueueOptions, 'channel'>): Promise<EnqueueResult>;
}

export function createInstagramHandle(pageId: string, messenger: () => Messenger): InstagramHandle {
  return {
    send(igsid, message, options = {}) {
      const body = 'attachments' in message ? ({ recipient: { id: igsid }, messaging_type: options.messagingType ?? 'RESPONSE', ...(options.tag ? { tag: options.tag } : {}), message } as unknown as SendBody) : toSendBody(igsid, message as Outgoing, options);
      return messenger().sendBody(pageId, body, { ...options, channel: 'instagram' });
    },
    react(igsid, messageId, reaction = 'love') {
      const body = { recipient: { id: igsid }, sender_action: 'react', payload: { message_id: messageId, reaction } } as unknown as SendBody;
      return messenger().sendBody(pageId, body, { channel: 'instagram' });
    },
    enqueue: (body, options = {}) => messenger().enqueue(pageId, body, { ...options, channel: 'instagram' }),
  };
}
