/**
 * Send helpers: small builders for what a Page can send, and `toSendBody` that adds the
 * recipient and messaging type to make the JSON POSTed to `/{page-id}/messages`.
 *
 * The builders do not validate; `validateMessage` (validate-message.ts) checks the full body
 * before anything is queued or sent, so one place holds every rule.
 */
import type {
  MediaType,
  Outgoing,
  OutgoingMessage,
  QuickReply,
  SendBody,
  SendOptions,
  SenderAction,
  TemplateAttachment,
} from './types.js';

/** Where a media attachment comes from: a public URL, or an id from the Attachment Upload API. */
export type MediaSource = string | { attachmentId: string };

export interface MediaOptions {
  /** Ask Facebook to keep the uploaded media for reuse (its id comes back as `attachment_id`). */
  isReusable?: boolean;
  quickReplies?: Array<QuickReply | string>;
}

export interface TextOptions {
  quickReplies?: Array<QuickReply | string>;
  metadata?: string;
}

/** A string is shorthand for a text quick reply whose payload is its title. */
function toQuickReply(r: QuickReply | string): QuickReply {
  return typeof r === 'string' ? { content_type: 'text', title: r, payload: r } : r;
}

function withQuickReplies(message: OutgoingMessage, replies: Array<QuickReply | string> | undefined): OutgoingMessage {
  return replies === undefined ? message : { ...message, quick_replies: replies.map(toQuickReply) };
}

/** A text message. */
export function text(t: string, opts: TextOptions = {}): Outgoing {
  const message: OutgoingMessage = withQuickReplies({ text: t }, opts.quickReplies);
  return { message: opts.metadata === undefined ? message : { ...message, metadata: opts.metadata } };
}

function media(type: MediaType, source: MediaSource, opts: MediaOptions = {}): Outgoing {
  const payload =
    typeof source === 'string'
      ? opts.isReusable === undefined
        ? { url: source }
        : { url: source, is_reusable: opts.isReusable }
      : { attachment_id: source.attachmentId };
  return { message: withQuickReplies({ attachment: { type, payload } }, opts.quickReplies) };
}

/** An image by URL or by attachment id. */
export function image(source: MediaSource, opts?: MediaOptions): Outgoing {
  return media('image', source, opts);
}

/** A video by URL or by attachment id (Facebook allows only 10 audio/video sends per second per Page). */
export function video(source: MediaSource, opts?: MediaOptions): Outgoing {
  return media('video', source, opts);
}

/** An audio clip by URL or by attachment id. */
export function audio(source: MediaSource, opts?: MediaOptions): Outgoing {
  return media('audio', source, opts);
}

/** A file by URL or by attachment id. */
export function file(source: MediaSource, opts?: MediaOptions): Outgoing {
  return media('file', source, opts);
}

/** A structured template; the payload is passed through untouched. */
export function template(payload: TemplateAttachment['payload'], opts: { quickReplies?: Array<QuickReply | string> } = {}): Outgoing {
  return { message: withQuickReplies({ attachment: { type: 'template', payload } }, opts.quickReplies) };
}

/** A text message with quick reply buttons (strings become text replies whose payload is the title). */
export function quickReplies(t: string, replies: Array<QuickReply | string>): Outgoing {
  return text(t, { quickReplies: replies });
}

/** A typing indicator or read receipt; it is sent on its own, never with a message. */
export function senderAction(action: SenderAction): Outgoing {
  return { sender_action: action };
}

/** Accepts either a built `Outgoing` or a bare `message` object. */
function normalise(message: Outgoing | OutgoingMessage): Outgoing {
  return 'message' in message || 'sender_action' in message ? (message as Outgoing) : { message: message as OutgoingMessage };
}

/**
 * The full Send API body for one person (PSID). messaging_type defaults to RESPONSE, the
 * answer to someone who wrote within 24 hours; sender actions carry no messaging_type.
 */
export function toSendBody(psid: string, message: Outgoing | OutgoingMessage, opts: SendOptions = {}): SendBody {
  const outgoing = normalise(message);
  if ('sender_action' in outgoing) return { recipient: { id: psid }, sender_action: outgoing.sender_action };
  const body: SendBody = {
    recipient: { id: psid },
    messaging_type: opts.messagingType ?? 'RESPONSE',
    ...(opts.tag === undefined ? {} : { tag: opts.tag }),
    message: outgoing.message,
    ...(opts.notificationType === undefined ? {} : { notification_type: opts.notificationType }),
  };
  return body;
}
