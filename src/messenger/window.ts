/**
 * The Messenger messaging window, decided locally so a send that Facebook would refuse
 * (10/2018278 "sent outside of allowed window") never costs a Graph call or rate budget.
 *
 * - RESPONSE and UPDATE: within 24 hours of the person's last message to the Page.
 * - MESSAGE_TAG + HUMAN_AGENT: within 7 days, for a person on the Page's team answering.
 * Sources: docs/graph-api.md "Messenger Send API";
 * https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
 */
import { pkError } from '../errors.js';
import type { PageKeeperError } from '../errors.js';
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS } from './types.js';
import type { MessagingType } from './types.js';

export interface WindowInput {
  messagingType: MessagingType;
  tag?: string | null;
  /** When the person last wrote to the Page; null when they never did (as far as pagekeeper knows). */
  lastInboundAt: Date | null;
  now: Date;
  /** Facebook's Conversations API was asked too (window-lookup.ts): the refusal says so. */
  checkedWithFacebook?: boolean;
  /** Instagram has the same 24-hour and 7-day HUMAN_AGENT windows; only the words differ. */
  channel?: 'messenger' | 'instagram';
}

export type WindowDecision = { ok: true } | { ok: false; error: PageKeeperError };

const HOUR_MS = 60 * 60 * 1000;

const HUMAN_AGENT_FIX =
  'If a person on your team is answering, send with the HUMAN_AGENT tag (messaging_type: MESSAGE_TAG, tag: HUMAN_AGENT; ' +
  'CLI: --tag HUMAN_AGENT): it allows a human reply up to 7 days after their last message.';
const WAIT_FOR_THEM_FIX = 'Only a new message from the person reopens the window; the Page cannot message them until they write again.';

/** "5 hours", "3 days": how long ago, in words a person reads at a glance. */
function ago(ms: number): string {
  if (ms < 48 * HOUR_MS) {
    const h = Math.floor(ms / HOUR_MS);
    return `${h} hour${h === 1 ? '' : 's'}`;
  }
  const d = Math.floor(ms / (24 * HOUR_MS));
  return `${d} days`;
}

function outside(detail: string, fix: string, facts: Record<string, unknown>): WindowDecision {
  return { ok: false, error: pkError('PK_OUTSIDE_WINDOW', { detail, fix }, { details: facts }) };
}

/**
 * May this send go out now? Tags other than HUMAN_AGENT are not judged here: validateMessage
 * refuses retired and unknown tags before the window is asked.
 */
export function decideWindow(input: WindowInput): WindowDecision {
  const { messagingType, lastInboundAt, now } = input;
  const humanAgent = messagingType === 'MESSAGE_TAG' && input.tag === 'HUMAN_AGENT';
  if (messagingType === 'MESSAGE_TAG' && !humanAgent) return { ok: true };

  const windowName = humanAgent ? 'the 7-day HUMAN_AGENT window' : input.channel === 'instagram' ? "Instagram's 24-hour window" : "Messenger's 24-hour window";
  const checked = input.checkedWithFacebook === true;
  if (lastInboundAt === null) {
    return outside(
      checked
        ? "This person has not messaged the Page (Facebook's Conversations API shows no message from them either), so the Page cannot message them: Messenger only lets a Page answer a conversation the person started"
        : 'This person has not messaged the Page, so the Page cannot message them: Messenger only lets a Page answer a conversation the person started',
      'Wait until they send the Page a message; pagekeeper records it from the webhook (or from POST /v1/pages/{id}/inbound, messenger.recordInbound) and the window opens.',
      { lastInboundAt: null, messagingType, tag: input.tag ?? null, ...(checked ? { checkedWithFacebook: true } : {}) },
    );
  }

  // A last message stamped slightly in the future (clock skew) counts as just now.
  const elapsed = Math.max(0, now.getTime() - lastInboundAt.getTime());
  const limit = humanAgent ? HUMAN_AGENT_WINDOW_MS : STANDARD_WINDOW_MS;
  if (elapsed <= limit) return { ok: true };

  const facts = { lastInboundAt: lastInboundAt.toISOString(), elapsedMs: elapsed, messagingType, tag: input.tag ?? null, ...(checked ? { checkedWithFacebook: true } : {}) };
  const detail = `This person last messaged the Page ${ago(elapsed)} ago (${lastInboundAt.toISOString()}), outside ${windowName}`;
  if (!humanAgent && elapsed <= HUMAN_AGENT_WINDOW_MS) {
    return outside(detail, HUMAN_AGENT_FIX, { ...facts, suggestedMessagingType: 'MESSAGE_TAG', suggestedTag: 'HUMAN_AGENT' });
  }
  return outside(`${detail}${humanAgent ? '' : ' and beyond the 7 days the HUMAN_AGENT tag allows'}`, WAIT_FOR_THEM_FIX, facts);
}
