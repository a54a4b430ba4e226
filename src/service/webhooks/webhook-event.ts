import { z } from 'zod';

/**
 * The Messenger webhook body (docs/graph-api.md "Webhooks";
 * https://developers.facebook.com/docs/messenger-platform/webhooks#event-notifications).
 * Loose objects throughout: Facebook adds fields without notice, and pagekeeper forwards the
 * body untouched, so only what pagekeeper itself reads is required.
 */
const Id = z.union([z.string(), z.number()]).transform(String);

export const MessagingEventSchema = z.looseObject({
  sender: z.looseObject({ id: Id }).optional(),
  recipient: z.looseObject({ id: Id }).optional(),
  /** Milliseconds. */
  timestamp: z.number().optional(),
  message: z.looseObject({ mid: z.string().optional(), text: z.string().optional(), is_echo: z.boolean().optional() }).optional(),
  postback: z.looseObject({ payload: z.string().optional(), title: z.string().optional() }).optional(),
  /** message_deliveries: every message sent before `watermark` was delivered; `mids` may be absent. */
  delivery: z.looseObject({ mids: z.array(z.string()).optional(), watermark: z.number() }).optional(),
  /** message_reads: every message sent at or before `watermark` was read. */
  read: z.looseObject({ watermark: z.number() }).optional(),
});

export const WebhookEntrySchema = z.looseObject({
  id: Id,
  time: z.number().optional(),
  messaging: z.array(MessagingEventSchema).optional(),
  standby: z.array(MessagingEventSchema).optional(),
  changes: z.array(z.unknown()).optional(),
});

export const WebhookBodySchema = z.looseObject({
  object: z.string(),
  entry: z.array(WebhookEntrySchema),
});

export type WebhookBody = z.infer<typeof WebhookBodySchema>;

/** A person writing to a Page: opens (or renews) the 24-hour standard messaging window. */
export interface InboundContact {
  /** The Page, or for Instagram the Instagram account the person wrote to. */
  pageId: string;
  psid: string;
  at: Date;
}

/** Timestamps outside these bounds are garbage, not times (ms since epoch, years 2001..2286). */
const MIN_TS = 1e12;
const MAX_TS = 1e13;

/**
 * Which people wrote to which Page, and when, from a verified webhook body. Echoes (what the
 * Page itself sent) and delivery/read receipts do not count: only a message or a postback from
 * the person opens the window (https://developers.facebook.com/docs/messenger-platform/policy/policy-overview#24hours_window).
 * A missing or absurd timestamp falls back to `receivedAt`; a future one is clamped to it.
 */
export function inboundContacts(body: WebhookBody, receivedAt: Date): InboundContact[] {
  // Instagram DMs (`object: "instagram"`) have the same shape; `entry.id` and `recipient.id` are
  // the Instagram account, so the person is recorded under the account's id
  // (https://developers.facebook.com/docs/messenger-platform/instagram/features/webhook).
  if (body.object !== 'page' && body.object !== 'instagram') return [];
  const latest = new Map<string, InboundContact>();
  for (const entry of body.entry) {
    for (const ev of entry.messaging ?? []) {
      const fromPerson = (ev.message !== undefined && ev.message.is_echo !== true) || ev.postback !== undefined;
      const psid = ev.sender?.id;
      if (!fromPerson || psid === undefined || psid === entry.id) continue;
      const pageId = ev.recipient?.id ?? entry.id;
      const ts = ev.timestamp;
      const ms = ts !== undefined && ts >= MIN_TS && ts < MAX_TS ? Math.min(ts, receivedAt.getTime()) : receivedAt.getTime();
      const key = `${pageId}\u0000${psid}`;
      const prev = latest.get(key);
      if (!prev || prev.at.getTime() < ms) latest.set(key, { pageId, psid, at: new Date(ms) });
    }
  }
  return [...latest.values()];
}

/** A delivery or read receipt from a verified webhook body (Messenger only). */
export interface ReceiptEvent {
  pageId: string;
  psid: string;
  kind: 'delivery' | 'read';
  watermark: number;
  mids?: string[];
}

/**
 * Delivery and read receipts (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries,
 * .../message-reads), from `messaging[]` and `standby[]`. A watermark that is not a time is skipped.
 */
export function receiptEvents(body: WebhookBody): ReceiptEvent[] {
  if (body.object !== 'page') return [];
  const out: ReceiptEvent[] = [];
  for (const entry of body.entry) {
    for (const ev of [...(entry.messaging ?? []), ...(entry.standby ?? [])]) {
      const psid = ev.sender?.id;
      if (psid === undefined || psid === entry.id) continue;
      const pageId = ev.recipient?.id ?? entry.id;
      if (ev.delivery !== undefined && ev.delivery.watermark >= MIN_TS && ev.delivery.watermark < MAX_TS) {
        out.push({ pageId, psid, kind: 'delivery', watermark: ev.delivery.watermark, ...(ev.delivery.mids ? { mids: ev.delivery.mids } : {}) });
      }
      if (ev.read !== undefined && ev.read.watermark >= MIN_TS && ev.read.watermark < MAX_TS) out.push({ pageId, psid, kind: 'read', watermark: ev.read.watermark });
    }
  }
  return out;
}
