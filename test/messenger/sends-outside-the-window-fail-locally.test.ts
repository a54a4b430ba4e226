import { describe, expect, it } from 'vitest';
import { decideWindow } from '../../src/messenger/window.js';
import type { MessagingType } from '../../src/messenger/types.js';

const now = new Date('2026-06-10T12:00:00Z');
const H = 60 * 60 * 1000;
const ago = (ms: number) => new Date(now.getTime() - ms);

type Case = [name: string, messagingType: MessagingType, tag: string | null, lastInboundAt: Date | null, expected: 'ok' | RegExp, fix?: RegExp];

const cases: Case[] = [
  ['RESPONSE a minute after their message', 'RESPONSE', null, ago(60_000), 'ok'],
  ['RESPONSE exactly 24 h after', 'RESPONSE', null, ago(24 * H), 'ok'],
  ['UPDATE 23 h after', 'UPDATE', null, ago(23 * H), 'ok'],
  ['RESPONSE with a last message stamped in the future (clock skew)', 'RESPONSE', null, new Date(now.getTime() + 5000), 'ok'],
  ['RESPONSE 24 h and 1 ms after: suggests HUMAN_AGENT', 'RESPONSE', null, ago(24 * H + 1), /last messaged the Page 24 hours ago .*outside Messenger's 24-hour window/, /HUMAN_AGENT tag \(messaging_type: MESSAGE_TAG, tag: HUMAN_AGENT/],
  ['UPDATE 3 days after: suggests HUMAN_AGENT', 'UPDATE', null, ago(72 * H), /3 days ago/, /HUMAN_AGENT/],
  ['RESPONSE exactly 7 days after: still suggests HUMAN_AGENT', 'RESPONSE', null, ago(7 * 24 * H), /7 days ago/, /HUMAN_AGENT/],
  ['RESPONSE 8 days after: only a new message reopens', 'RESPONSE', null, ago(8 * 24 * H), /beyond the 7 days the HUMAN_AGENT tag allows/, /Only a new message from the person reopens the window/],
  ['RESPONSE to someone who never wrote', 'RESPONSE', null, null, /has not messaged the Page/, /Wait until they send the Page a message/],
  ['HUMAN_AGENT 6 days after', 'MESSAGE_TAG', 'HUMAN_AGENT', ago(6 * 24 * H), 'ok'],
  ['HUMAN_AGENT exactly 7 days after', 'MESSAGE_TAG', 'HUMAN_AGENT', ago(7 * 24 * H), 'ok'],
  ['HUMAN_AGENT 7 days and 1 ms after', 'MESSAGE_TAG', 'HUMAN_AGENT', ago(7 * 24 * H + 1), /outside the 7-day HUMAN_AGENT window/, /Only a new message from the person reopens/],
  ['HUMAN_AGENT to someone who never wrote', 'MESSAGE_TAG', 'HUMAN_AGENT', null, /has not messaged the Page/],
  ['another tag is left to validation', 'MESSAGE_TAG', 'ACCOUNT_UPDATE', null, 'ok'],
];

describe('the 24-hour window is decided before any Graph call', () => {
  it.each(cases)('%s', (_name, messagingType, tag, lastInboundAt, expected, fix) => {
    const d = decideWindow({ messagingType, tag, lastInboundAt, now });
    if (expected === 'ok') {
      expect(d).toEqual({ ok: true });
      return;
    }
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.error.code).toBe('PK_OUTSIDE_WINDOW');
    expect(d.error.message).toMatch(expected);
    if (fix) expect(d.error.fix).toMatch(fix);
  });

  it('tells programs which tag to use when HUMAN_AGENT applies', () => {
    const d = decideWindow({ messagingType: 'RESPONSE', lastInboundAt: ago(30 * H), now });
    expect(d.ok ? null : d.error.details).toMatchObject({ suggestedMessagingType: 'MESSAGE_TAG', suggestedTag: 'HUMAN_AGENT', elapsedMs: 30 * H });
  });

  it('does not suggest HUMAN_AGENT beyond 7 days', () => {
    const d = decideWindow({ messagingType: 'RESPONSE', lastInboundAt: ago(10 * 24 * H), now });
    expect(d.ok ? null : d.error.details).not.toHaveProperty('suggestedTag');
    expect(d.ok ? '' : d.error.fix).not.toMatch(/HUMAN_AGENT/);
  });
});
