/**
 * Instagram messaging through a Facebook Page, as Meta's Messenger Platform for Instagram answers
 * it (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message,
 * https://developers.facebook.com/docs/messenger-platform/instagram/features/webhook):
 * - a Page may have a linked Instagram professional account, read with the Page fields
 *   `instagram_business_account` and `connected_instagram_account` (only with `instagram_basic`);
 * - people who write to the account get an IGSID; the Page replies with `POST /{page-id}/messages`
 *   and the Page token (`instagram_manage_messages`), recipient the IGSID;
 * - text is 1,000 bytes at most (UTF-8), up to 10 attachments, reactions through
 *   `sender_action: react` with `payload: {message_id, reaction}`, HUMAN_AGENT for 7 days;
 * - outside the window Facebook answers 10 / 2534022 "This message is sent outside of allowed window.".
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { APP_ROLES } from './app-mode.js';
import { NOT_A_TESTER_MESSAGE } from './app-mode.js';
import { fail } from './graph-error.js';
import { messageId, numericId } from './ids.js';
import type { EmulatorState, InstagramAccount, Page } from './state.js';
import { SENT_MESSAGES_KEPT } from './state.js';
import type { DeliveryResult, RetryPolicy } from './webhooks.js';
import { deliverEvent } from './webhooks.js';

const DAY_MS = 86400_000;
export const INSTAGRAM_TEXT_MAX_BYTES = 1000;
export const INSTAGRAM_MAX_ATTACHMENTS = 10;
const IG_ATTACHMENT_TYPES = new Set(['image', 'audio', 'video', 'file', 'template', 'like_heart', 'MEDIA_SHARE']);
const IG_SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
export const OUTSIDE_WINDOW_IG = 'This message is sent outside of allowed window.';
export const INSTAGRAM_RATE_MESSAGE = '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Page fields naming its linked account: both for a business-converted account, the second for one connected in settings. */
export function instagramFieldsOf(page: Page, scopes: readonly string[]): { instagram_business_account?: () => unknown; connected_instagram_account?: () => unknown } {
  const ig = page.instagram;
  // Without instagram_basic Facebook leaves the fields out rather than refusing them.
  const visible = ig !== undefined && scopes.includes('instagram_basic');
  return {
    instagram_business_account: () => (visible && ig.link === 'business' ? { id: ig.id, username: ig.username } : undefined),
    connected_instagram_account: () => (visible ? { id: ig.id, username: ig.username } : undefined),
  };
}

/** Is `recipientId` a person who wrote to the Page's Instagram account? */
export function isInstagramRecipient(page: Page, recipientId: string): boolean {
  return page.instagram?.people.has(recipientId) === true;
}

export interface InstagramSend {
  page: Page;
  scopes: readonly string[];
  recipientId: string;
  messagingType: string;
  tag: string | undefined;
  message: unknown;
  senderAction: string | undefined;
  payload: unknown;
}

/** `POST /{page-id}/messages` to an IGSID. Throws the Graph error Facebook would answer. */
export function sendInstagram(state: EmulatorState, now: () => number, s: InstagramSend): { recipient_id: string; message_id?: string } {
  const ig = s.page.instagram!;
  if (!s.scopes.includes('instagram_manage_messages')) return fail({ code: 10, message: '(#10) Application does not have permission for this action' });
  if (s.message !== undefined && s.senderAction !== undefined) return fail({ code: 100, message: '(#100) Cannot send both message and state at the same time.' });
  if (s.message === undefined && s.senderAction === undefined) return fail({ code: 100, subcode: 2018015, message: '(#100) Must send either message or state' });
  if (s.senderAction !== undefined) {
    if (!IG_SENDER_ACTIONS.has(s.senderAction)) return fail({ code: 100, message: '(#100) Param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF, REACT, UNREACT}' });
    if ((s.senderAction === 'react' || s.senderAction === 'unreact') && !(isObj(s.payload) && typeof s.payload.message_id === 'string')) {
      return fail({ code: 100, message: '(#100) The parameter payload[message_id] is required' });
    }
  }
  if (s.message !== undefined) validateInstagramMessage(s.message);
  let windowMs = DAY_MS;
  if (s.messagingType === 'MESSAGE_TAG') {
    if (s.tag !== 'HUMAN_AGENT') return fail({ code: 100, message: '(#100) Param tag must be one of {HUMAN_AGENT}' });
    windowMs = 7 * DAY_MS;
  }
  const person = ig.people.get(s.recipientId)!;
  if (!state.appMode.mayMessage(s.recipientId)) return fail({ code: 10, message: NOT_A_TESTER_MESSAGE });
  const t = now();
  if (t - person.lastInboundMs > windowMs) return fail({ code: 10, subcode: 2534022, message: OUTSIDE_WINDOW_IG });
  const at = new Date(t).toISOString();
  if (s.senderAction !== undefined) {
    record(ig, { messageId: '', recipientId: s.recipientId, messagingType: s.messagingType, tag: s.tag ?? null, message: s.payload ?? null, senderAction: s.senderAction, at });
    return { recipient_id: s.recipientId };
  }
  const mid = messageId();
  record(ig, { messageId: mid, recipientId: s.recipientId, messagingType: s.messagingType, tag: s.tag ?? null, message: s.message, at });
  const text = isObj(s.message) && typeof s.message.text === 'string' ? s.message.text : null;
  state.conversations.recordSent(ig.id, s.recipientId, mid, text, t);
  return { recipient_id: s.recipientId, message_id: mid };
}

function record(ig: InstagramAccount, m: InstagramAccount['sent'][number]): void {
  ig.sent.push(m);
  if (ig.sent.length > SENT_MESSAGES_KEPT) ig.sent.shift();
}

function validateInstagramMessage(message: unknown): void {
  if (!isObj(message)) return fail({ code: 100, message: '(#100) param message must be a JSON object' });
  const { text, attachment, attachments } = message;
  if (text === undefined && attachment === undefined && attachments === undefined) {
    return fail({ code: 100, subcode: 2018034, message: '(#100) Message cannot be empty, must provide valid attachment or text' });
  }
  if (text !== undefined) {
    if (typeof text !== 'string' || text === '') return fail({ code: 100, message: '(#100) param message[text] must be a non-empty UTF-8 encoded string' });
    if (Buffer.byteLength(text, 'utf8') > INSTAGRAM_TEXT_MAX_BYTES) return fail({ code: 100, message: '(#100) Length of param message[text] must be less than or equal to 1000 bytes' });
  }
  const list = attachments !== undefined ? attachments : attachment !== undefined ? [attachment] : [];
  if (!Array.isArray(list) || list.length > INSTAGRAM_MAX_ATTACHMENTS) return fail({ code: 100, message: '(#100) param message[attachments] must be an array of at most 10 elements' });
  for (const a of list) {
    if (!isObj(a) || typeof a.type !== 'string' || !IG_ATTACHMENT_TYPES.has(a.type)) return fail({ code: 100, message: '(#100) Param message[attachment][type] must be one of {IMAGE, AUDIO, VIDEO, FILE, TEMPLATE, LIKE_HEART, MEDIA_SHARE}' });
  }
  return undefined;
}

const inboundInput = z
  .object({ igsid: z.string().regex(/^\d+$/).optional(), text: z.string().min(1), role: z.enum(APP_ROLES).nullable().optional() })
  .strict();

export interface InstagramControlDeps {
  state: EmulatorState;
  now: () => number;
  webhook: () => { url: string; retry: RetryPolicy } | undefined;
  record: (url: string, result: DeliveryResult) => DeliveryResult;
  parse: <T>(schema: z.ZodType<T>, body: unknown) => T;
}

/**
 * Control endpoints (docs/emulator.md):
 * - `POST /_emulator/instagram/{ig-id}/inbound {"text","igsid"?,"role"?}`: a person writes to the
 *   account; sends the signed `object: "instagram"` webhook; answers `{"igsid","mid",...}`;
 * - `GET /_emulator/instagram/{ig-id}/messages`: what the Page sent to the account's people.
 */
export function registerInstagramControl(app: FastifyInstance, deps: InstagramControlDeps): void {
  const { state } = deps;
  const accountOr404 = (id: string, reply: FastifyReply): InstagramAccount | undefined => {
    const pageId = state.instagramAccounts.get(id);
    const ig = pageId === undefined ? undefined : state.pages.get(pageId)?.instagram;
    if (!ig || ig.id !== id) reply.code(404).send({ error: `no Instagram account with id ${id}: give a page "instagram":{"username"} in POST /_emulator/users` });
    return ig?.id === id ? ig : undefined;
  };

  app.post<{ Params: { id: string } }>('/_emulator/instagram/:id/inbound', async (req, reply) => {
    const ig = accountOr404(req.params.id, reply);
    if (!ig) return reply;
    const input = deps.parse(inboundInput, req.body);
    const igsid = input.igsid ?? numericId(16);
    const t = deps.now();
    const person = ig.people.get(igsid);
    if (person) person.lastInboundMs = t;
    else ig.people.set(igsid, { lastInboundMs: t });
    if (input.role !== undefined) state.appMode.setRole(igsid, input.role);
    const mid = messageId();
    state.conversations.recordInbound(ig.id, igsid, mid, input.text, t);
    const hook = deps.webhook();
    let delivery: DeliveryResult | undefined;
    if (hook) {
      const payload = {
        object: 'instagram',
        entry: [{ id: ig.id, time: t, messaging: [{ sender: { id: igsid }, recipient: { id: ig.id }, timestamp: t, message: { mid, text: input.text } }] }],
      };
      delivery = deps.record(hook.url, await deliverEvent(hook.url, state.app.secret, payload, hook.retry, deps.now));
    }
    return {
      igsid,
      mid,
      delivered: delivery?.delivered ?? false,
      ...(delivery?.status !== undefined ? { webhookStatus: delivery.status } : {}),
      ...(delivery ? { attempts: delivery.attempts } : {}),
    };
  });

  app.get<{ Params: { id: string } }>('/_emulator/instagram/:id/messages', async (req, reply) => {
    const ig = accountOr404(req.params.id, reply);
    if (!ig) return reply;
    return { data: ig.sent };
  });
}
