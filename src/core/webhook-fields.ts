/**
 * The Page webhook fields pagekeeper subscribes Pages with (PAGEKEEPER_WEBHOOK_FIELDS), and the
 * names Facebook accepts for Messenger (the `subscribed_fields` enum of
 * https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/).
 */

/** What a connected Page is subscribed with unless PAGEKEEPER_WEBHOOK_FIELDS says otherwise. */
export const DEFAULT_WEBHOOK_FIELDS: readonly string[] = ['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals'];

/** Page webhook fields useful for Messenger (https://developers.facebook.com/docs/messenger-platform/webhooks). */
export const KNOWN_WEBHOOK_FIELDS: readonly string[] = [
  'messages',
  'messaging_postbacks',
  'message_deliveries',
  'message_reads',
  'message_echoes',
  'message_edits',
  'message_reactions',
  'messaging_referrals',
  'messaging_optins',
  'messaging_handovers',
  'standby',
  'messaging_policy_enforcement',
  'messaging_account_linking',
  'messaging_feedback',
  'response_feedback',
  'send_cart',
  'inbox_labels',
  'feed',
];

/**
 * `messages,message_reads` as a list. Pure.
 * @returns the fields, or what is wrong with the text (names the field, never anything else).
 */
export function parseWebhookFields(text: string): { ok: true; fields: string[] } | { ok: false; problem: string } {
  const fields = [...new Set(text.split(',').map((f) => f.trim()).filter((f) => f !== ''))];
  if (fields.length === 0) return { ok: false, problem: 'name at least one webhook field, e.g. messages,messaging_postbacks' };
  const unknown = fields.find((f) => !KNOWN_WEBHOOK_FIELDS.includes(f));
  if (unknown !== undefined) return { ok: false, problem: `"${unknown.slice(0, 40)}" is not a Page webhook field; use a comma-separated list of ${KNOWN_WEBHOOK_FIELDS.join(', ')}` };
  if (!fields.includes('messages')) return { ok: false, problem: 'the list must include messages, or no Messenger message reaches pagekeeper' };
  return { ok: true, fields };
}
