/**
 * Shapes of what pagekeeper sends through the Messenger Send API.
 *
 * These are wire shapes: they keep Graph's snake_case spelling (`messaging_type`,
 * `quick_replies`, `attachment_id`) because they are serialised as-is into the POST body of
 * `/{page-id}/messages`. Sources:
 * - Send API reference: https://developers.facebook.com/docs/messenger-platform/reference/send-api
 * - Quick replies (up to 13 buttons, 20-character titles, payload up to 1000 characters):
 *   https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies
 * - Message tags and the HUMAN_AGENT 7-day window:
 *   https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
 * - docs/graph-api.md "Messenger Send API" (wins where it speaks: the tags
 *   CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and POST_PURCHASE_UPDATE answer code 100 since 2026-04-27).
 */

/** Why a message is sent; decides which window rules apply. */
export const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'] as const;
export type MessagingType = (typeof MESSAGING_TYPES)[number];

/** Tags Facebook still accepts with `messaging_type: MESSAGE_TAG`. */
export const ACTIVE_TAGS = ['HUMAN_AGENT'] as const;
export type MessageTag = (typeof ACTIVE_TAGS)[number];

/**
 * Tags Facebook retired: a send with one of them is answered with code 100, so pagekeeper
 * refuses it locally and says why (docs/graph-api.md "Messenger Send API").
 */
export const DEPRECATED_TAGS = {
  CONFIRMED_EVENT_UPDATE: { since: '2026-04-27' },
  ACCOUNT_UPDATE: { since: '2026-04-27' },
  POST_PURCHASE_UPDATE: { since: '2026-04-27' },
} as const satisfies Record<string, { since: string }>;
export type DeprecatedTag = keyof typeof DEPRECATED_TAGS;

/** How long after the person's last message each kind of send is allowed. */
export const STANDARD_WINDOW_MS = 24 * 60 * 60 * 1000;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** Limits checked before sending (Send API reference and the quick replies reference). */
export const MAX_TEXT_CHARACTERS = 2000;
export const MAX_QUICK_REPLIES = 13;
export const MAX_QUICK_REPLY_TITLE_CHARACTERS = 20;
export const MAX_QUICK_REPLY_PAYLOAD_CHARACTERS = 1000;

export const QUICK_REPLY_CONTENT_TYPES = ['text', 'user_phone_number', 'user_email'] as const;
export type QuickReplyContentType = (typeof QUICK_REPLY_CONTENT_TYPES)[number];

/** A quick reply button. `title` and `payload` are required for `content_type: text`. */
export interface QuickReply {
  content_type: QuickReplyContentType;
  title?: string;
  payload?: string | number;
  image_url?: string;
}

export const MEDIA_TYPES = ['image', 'video', 'audio', 'file'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** A media attachment, either fetched by Facebook from a URL or reused by its attachment id. */
export type MediaPayload = { url: string; is_reusable?: boolean } | { attachment_id: string };

export interface MediaAttachment {
  type: MediaType;
  payload: MediaPayload;
}

/**
 * A structured template (generic, button, media, ...). pagekeeper passes the payload through
 * untouched: Facebook validates templates and their rules change more often than the Send API.
 */
export interface TemplateAttachment {
  type: 'template';
  payload: { template_type: string } & Record<string, unknown>;
}

export type Attachment = MediaAttachment | TemplateAttachment;

/** The `message` object of a Send API body: text or an attachment, optionally with quick replies. */
export interface OutgoingMessage {
  text?: string;
  attachment?: Attachment;
  quick_replies?: QuickReply[];
  /** Up to 1000 characters, echoed back in the message_echoes webhook. */
  metadata?: string;
}

export const SENDER_ACTIONS = ['typing_on', 'typing_off', 'mark_seen'] as const;
export type SenderAction = (typeof SENDER_ACTIONS)[number];

/**
 * What the send helpers build: a Send API body without the recipient and messaging type.
 * A sender action is sent on its own; Facebook refuses it together with a message.
 */
export type Outgoing = { message: OutgoingMessage } | { sender_action: SenderAction };

/** The full JSON body POSTed to `/{page-id}/messages`. */
export type SendBody =
  | {
      recipient: { id: string };
      messaging_type: MessagingType;
      tag?: string;
      message: OutgoingMessage;
      notification_type?: 'REGULAR' | 'SILENT_PUSH' | 'NO_PUSH';
    }
  | {
      recipient: { id: string };
      sender_action: SenderAction;
    };

/** How to send: the messaging type and, for MESSAGE_TAG, the tag. */
export interface SendOptions {
  messagingType?: MessagingType;
  /** Typed as string so that retired or mistyped tags reach validation and get a clear refusal. */
  tag?: string;
  notificationType?: 'REGULAR' | 'SILENT_PUSH' | 'NO_PUSH';
}
