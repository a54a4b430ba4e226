import { describe, expect, it } from 'vitest';
import { decideResume, type TokenFacts } from '../../src/messenger/resume-held.js';
import { decideSendRetry, type SendFailure } from '../../src/messenger/retry-policy.js';
import { newestFromPerson, parseGraphTime } from '../../src/messenger/window-lookup.js';

const now = 1_000_000;
const half = () => 0.5;
const NOT_A_TESTER = '(#10) Cannot message users who are not admins, developers or testers of the app until pages_messaging permission is reviewed and the app is live. (code 10, HTTP 400)';
const f = (kind: SendFailure['kind'], code: number, subcode: number | null = null, message?: string): SendFailure => ({ kind, code, subcode, delivery: 'answered', ...(message ? { message } : {}) });

describe('a refusal about one recipient fails that message only, with the code, a plain reason and the fix', () => {
  it.each<[string, SendFailure, RegExp]>([
    ['development mode, recorded as a bare code 10', f('permission', 10, null, NOT_A_TESTER), /development mode.*Fix: add the person as a tester in App Roles, or take the app live after App Review of pages_messaging/],
    ['development mode as the table lists it (200/2018028)', f('permission', 200, 2018028), /role on it.*App Roles/],
    ['551 blocked', f('invalid_request', 551), /blocked the Page.*Fix:/],
    ['200/1545041 unavailable', f('permission', 200, 1545041), /isn't available right now/],
    ['10/2018108 cannot receive', f('permission', 10, 2018108), /can't receive/],
    ['100/2018109', f('invalid_request', 100, 2018109), /attachment/],
    ['100/2018001 no matching user', f('invalid_request', 100, 2018001), /no person with this id.*PSIDs differ per Page/],
    ['10/2534022 Instagram window', f('permission', 10, 2534022), /outside the allowed window/],
  ])('%s', (_name, error, reason) => {
    const d = decideSendRetry({ error, attempt: 1, now, random: half });
    expect(d).toMatchObject({ action: 'fail', code: error.code, subcode: error.subcode, reason: expect.stringMatching(reason) });
    expect(d.action === 'fail' && d.reason).toMatch(new RegExp(`code ${error.code}`));
  });

  it.each<[string, SendFailure]>([
    ['190 token invalid', { kind: 'token_invalid', code: 190, subcode: 460, delivery: 'answered' }],
    ['230 lost pages_messaging', f('permission', 230, null, '(#230) Requires pages_messaging permission')],
    ['bare 10 without the development-mode text', f('permission', 10, null, '(#10) Permission denied')],
  ])('only token-wide losses hold the Page: %s', (_name, error) => {
    expect(decideSendRetry({ error, attempt: 1, now, random: half }).action).toBe('hold');
  });

  it('a temporary sending restriction (10/1893063) is retried late, never held, and fails in the end', () => {
    const error = f('permission', 10, 1893063);
    expect(decideSendRetry({ error, attempt: 1, now, random: half })).toEqual({ action: 'retry', at: now + 5 * 60_000 });
    expect(decideSendRetry({ error, attempt: 8, now, random: half })).toMatchObject({ action: 'fail', reason: expect.stringMatching(/temporarily restricted/) });
  });
});

describe('a held Page resumes only when its tokens changed', () => {
  const capable: Omit<TokenFacts, 'updatedAt'> = { status: 'valid', messagingGranted: true, tasks: ['MESSAGING', 'MANAGE'] };
  it.each<[string, Array<number | null>, TokenFacts[], boolean]>([
    ['permission hold, token untouched since', [230], [{ ...capable, updatedAt: 900 }], false],
    ['permission hold, a sweep re-checked the capable token after', [230], [{ ...capable, updatedAt: 1100 }], true],
    ['permission hold, re-checked but still without messaging', [230], [{ ...capable, messagingGranted: false, updatedAt: 1100 }], false],
    ['permission hold, re-checked but without the MESSAGING task', [10], [{ ...capable, tasks: ['ANALYZE'], updatedAt: 1100 }], false],
    ['token hold (190): another valid capable token', [190], [{ ...capable, status: 'invalid', updatedAt: 1000 }, { ...capable, updatedAt: 10 }], true],
    ['token hold (190): no valid token', [190], [{ ...capable, status: 'invalid', updatedAt: 1000 }], false],
    ['no valid token (null code): a reconnect wrote one', [null], [{ ...capable, updatedAt: 1200 }], true],
    ['mixed token and permission holds wait for a change', [190, 230], [{ ...capable, updatedAt: 500 }], false],
  ])('%s', (_name, codes, tokens, expected) => {
    expect(decideResume({ heldAt: 1000, codes }, tokens)).toBe(expected);
  });
});

describe("Facebook's answer about the window", () => {
  const answer = (messages: unknown[]) => ({ data: [{ id: 't_1', messages: { data: messages } }] });
  it.each<[string, unknown, number | null | 'full' | 'bad']>([
    ['the newest message from the person, not the Page', answer([{ created_time: '2026-06-10T12:00:00+0000', from: { id: 'PAGE' } }, { created_time: '2026-06-10T11:00:00+0000', from: { id: 'P1' } }]), Date.parse('2026-06-10T11:00:00Z')],
    ['only the Page wrote', answer([{ created_time: '2026-06-10T12:00:00+0000', from: { id: 'PAGE' } }]), null],
    ['no thread', { data: [] }, null],
    ['numeric ids and unix seconds', answer([{ created_time: 1781092800, from: { id: 1 } }]), null],
    ['unix seconds from the person', { data: [{ messages: { data: [{ created_time: '1781092800', from: { id: 'P1' } }] } }] }, 1781092800_000],
    ['not a Graph list', { error: 'x' }, 'bad'],
    ['20 readable messages, all the Page’s: cannot tell', answer(Array.from({ length: 20 }, () => ({ created_time: '2026-06-10T12:00:00+0000', from: { id: 'PAGE' } }))), 'full'],
  ])('%s', (_name, body, expected) => {
    expect(newestFromPerson(body, 'P1')).toBe(expected);
  });

  it('reads both time forms', () => {
    expect(parseGraphTime('2012-04-10T17:41:10+0000')).toBe(Date.UTC(2012, 3, 10, 17, 41, 10));
    expect(parseGraphTime(1334079670)).toBe(1334079670_000);
    expect(parseGraphTime('soon')).toBeNull();
  });
});
