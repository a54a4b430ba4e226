/** PAGEKEEPER_WEBHOOK_FIELDS: the fields connected Pages are subscribed with, checked once at start. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { parseWebhookFields } from '../../src/core/webhook-fields.js';

const env = (v?: string) => ({ PAGEKEEPER_APP_ID: '123', ...(v === undefined ? {} : { PAGEKEEPER_WEBHOOK_FIELDS: v }) });

describe('PAGEKEEPER_WEBHOOK_FIELDS', () => {
  it('defaults to the Messenger fields pagekeeper needs', () => {
    expect(loadConfig({ cwd: '/nonexistent', env: env() }).webhookFields).toEqual(['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals']);
  });

  it('takes a comma-separated list, spaces and repeats ignored', () => {
    expect(loadConfig({ cwd: '/nonexistent', env: env(' messages, message_echoes,messages ') }).webhookFields).toEqual(['messages', 'message_echoes']);
  });

  it.each([
    ['messages,not_a_field', /not_a_field" is not a Page webhook field/],
    ['message_reads', /must include messages/],
    [' , ', /at least one webhook field/],
  ])('refuses %j with PK_CONFIG_INVALID naming the setting and what is wrong', (value, words) => {
    expect(() => loadConfig({ cwd: '/nonexistent', env: env(value) })).toThrow(expect.objectContaining({ code: 'PK_CONFIG_INVALID', message: expect.stringMatching(words) }));
    expect(() => loadConfig({ cwd: '/nonexistent', env: env(value) })).toThrow(/PAGEKEEPER_WEBHOOK_FIELDS/);
  });

  it('bounds what it repeats of a bad value', () => {
    const r = parseWebhookFields(`messages,${'x'.repeat(500)}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.length).toBeLessThan(500);
  });
});
