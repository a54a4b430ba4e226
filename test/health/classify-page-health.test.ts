import { describe, expect, it } from 'vitest';
import { classifyPageHealth } from '../../src/health/classify-page-health.js';
import type { PageHealth, PageTokenFacts } from '../../src/health/classify-page-health.js';
import { TOKEN_LOSS_REASONS, describeTokenLoss } from '../../src/core/reasons.js';
import type { TokenInspection, TokenInvalidReason } from '../../src/core/types.js';

const PAGE = '111';
const now = new Date('2026-06-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const inDays = (d: number) => new Date(now.getTime() + d * DAY);

function inspection(over: Partial<TokenInspection> = {}): TokenInspection {
  return {
    isValid: true,
    type: 'PAGE',
    appId: 'app',
    application: 'App',
    userId: 'u1',
    profileId: PAGE,
    expiresAt: null,
    issuedAt: null,
    dataAccessExpiresAt: inDays(80),
    scopes: ['pages_show_list', 'pages_messaging'],
    granularScopes: [{ scope: 'pages_messaging', targetIds: [PAGE] }],
    error: null,
    ...over,
  };
}

function invalidInspection(reason: TokenInvalidReason, subcode: number | null): TokenInspection {
  return inspection({ isValid: false, error: { code: 190, subcode, message: 'Error validating access token', reason } });
}

function token(over: Partial<PageTokenFacts> = {}): PageTokenFacts {
  return { userId: 'u1', inspection: inspection(), tasks: ['MESSAGING', 'MANAGE'], storedStatus: 'valid', storedReason: null, ...over };
}

type Expect = Partial<Omit<PageHealth, 'reason' | 'fix' | 'warning'>> & { reason?: RegExp | null; fix?: RegExp | null; warning?: RegExp | null };
type Case = [name: string, tokens: PageTokenFacts[], expected: Expect, extra?: { expiringWindowDays?: number; userTokenExpiresAt?: Record<string, Date | null> }];

const cases: Case[] = [
  // healthy
  ['one valid token with everything', [token()], { status: 'healthy', reason: null, fix: null, warning: null, lostTokens: 0, validTokens: 1 }],
  ['not yet inspected token counts as valid', [token({ inspection: null })], { status: 'healthy', validTokens: 1 }],
  ['grant not limited to pages (target_ids omitted)', [token({ inspection: inspection({ granularScopes: [{ scope: 'pages_messaging', targetIds: null }] }) })], { status: 'healthy' }],
  ['no granular detail: the plain scope decides', [token({ inspection: inspection({ granularScopes: [] }) })], { status: 'healthy' }],
  ['never-ending data access', [token({ inspection: inspection({ dataAccessExpiresAt: null }) })], { status: 'healthy' }],
  [
    'two admins, one lost to a password change: healthy with a warning',
    [token(), token({ userId: 'u2', storedStatus: 'invalid', storedReason: 'password_changed' })],
    { status: 'healthy', warning: /^1 of 2 tokens for this Page is no longer valid \(password changed\)$/, lostTokens: 1, validTokens: 1 },
  ],
  [
    'three admins, two lost for different reasons',
    [token(), token({ userId: 'u2', inspection: invalidInspection('app_removed', 458) }), token({ userId: 'u3', storedStatus: 'invalid', storedReason: 'checkpoint' })],
    { status: 'healthy', warning: /^2 of 3 tokens for this Page are no longer valid \(app removed, security checkpoint\)$/, lostTokens: 2, validTokens: 1 },
  ],
  // needs_reauth
  ['no token at all', [], { status: 'needs_reauth', reason: /No token is stored/, fix: /pagekeeper connect/, reasonCode: null, lostTokens: 0, validTokens: 0 }],
  [
    'stored invalid: password changed',
    [token({ storedStatus: 'invalid', storedReason: 'password_changed' })],
    { status: 'needs_reauth', reason: /changed their Facebook password/, fix: /Ask them to reconnect: run `pagekeeper connect` or use the Connect button/, reasonCode: 'password_changed', lostTokens: 1, validTokens: 0, warning: null },
  ],
  ['inspection invalid: app removed (458)', [token({ inspection: invalidInspection('app_removed', 458) })], { status: 'needs_reauth', reason: /removed the app from their Facebook settings/, reasonCode: 'app_removed' }],
  ['inspection invalid: checkpoint (459)', [token({ inspection: invalidInspection('checkpoint', 459) })], { status: 'needs_reauth', reason: /locked the account .* security check/, fix: /log in on facebook\.com and complete the check, then reconnect/ }],
  ['inspection invalid: logged out (467)', [token({ inspection: invalidInspection('logged_out', 467) })], { status: 'needs_reauth', reasonCode: 'logged_out', reason: /logged out/ }],
  ['inspection invalid: page role removed (492)', [token({ inspection: invalidInspection('page_role_removed', 492) })], { status: 'needs_reauth', reason: /no longer has a role on this Page/, fix: /Someone who manages the Page must connect/ }],
  ['inspection invalid: expired (463)', [token({ inspection: invalidInspection('expired', 463) })], { status: 'needs_reauth', reasonCode: 'expired' }],
  ['inspection invalid: unconfirmed (464)', [token({ inspection: invalidInspection('unconfirmed_user', 464) })], { status: 'needs_reauth', reasonCode: 'unconfirmed_user', fix: /confirm their account/ }],
  ['inspection invalid: invalidated (466)', [token({ inspection: invalidInspection('invalidated', 466) })], { status: 'needs_reauth', reasonCode: 'invalidated' }],
  ['inspection invalid without error detail', [token({ inspection: inspection({ isValid: false }) })], { status: 'needs_reauth', reasonCode: 'invalid', reason: /did not say why/ }],
  ['a token whose expiry passed', [token({ inspection: inspection({ expiresAt: inDays(-1) }) })], { status: 'needs_reauth', reasonCode: 'expired' }],
  ['data access already lapsed', [token({ inspection: inspection({ dataAccessExpiresAt: inDays(-2) }) })], { status: 'needs_reauth', reasonCode: 'data_access_expired', reason: /90 days/, fix: /open the app/ }],
  [
    'stored generic loss, inspection knows more',
    [token({ storedStatus: 'invalid', storedReason: 'invalid', inspection: invalidInspection('password_changed', 460) })],
    { status: 'needs_reauth', reasonCode: 'password_changed' },
  ],
  ['stored invalid wins over a valid-looking older inspection', [token({ storedStatus: 'invalid', storedReason: 'logged_out' })], { status: 'needs_reauth', reasonCode: 'logged_out' }],
  [
    'the specific loss is preferred over a more recent generic one',
    [
      token({ userId: 'u1', storedStatus: 'invalid', storedReason: 'password_changed', invalidatedAt: inDays(-5) }),
      token({ userId: 'u2', storedStatus: 'invalid', storedReason: 'invalid', invalidatedAt: inDays(-1) }),
    ],
    { status: 'needs_reauth', reasonCode: 'password_changed', lostTokens: 2, validTokens: 0 },
  ],
  [
    'among specific losses the most recent is reported',
    [
      token({ userId: 'u1', storedStatus: 'invalid', storedReason: 'app_removed', invalidatedAt: inDays(-5) }),
      token({ userId: 'u2', storedStatus: 'invalid', storedReason: 'checkpoint', invalidatedAt: inDays(-1) }),
    ],
    { status: 'needs_reauth', reasonCode: 'checkpoint' },
  ],
  // missing_permission
  [
    'pages_messaging granted for other pages only',
    [token({ inspection: inspection({ granularScopes: [{ scope: 'pages_messaging', targetIds: ['999'] }] }) })],
    { status: 'missing_permission', reason: /pages_messaging permission is not granted for this Page/, fix: /keep this Page selected and pages_messaging allowed/ },
  ],
  [
    'pages_messaging not granted at all',
    [token({ inspection: inspection({ scopes: ['pages_show_list'], granularScopes: [{ scope: 'pages_show_list', targetIds: [PAGE] }] }) })],
    { status: 'missing_permission', reason: /pages_messaging/ },
  ],
  ['MESSAGING task gone', [token({ tasks: ['ANALYZE'] })], { status: 'missing_permission', reason: /MESSAGING task is gone/, fix: /Messages access/ }],
  [
    'one has the scope, the other the task: neither can send',
    [token({ tasks: ['ANALYZE'] }), token({ userId: 'u2', inspection: inspection({ granularScopes: [{ scope: 'pages_messaging', targetIds: ['999'] }] }) })],
    { status: 'missing_permission', reason: /both the pages_messaging permission .* and the MESSAGING task/ },
  ],
  [
    'missing permission keeps the lost-token warning',
    [token({ tasks: [] }), token({ userId: 'u2', storedStatus: 'invalid', storedReason: 'logged_out' })],
    { status: 'missing_permission', warning: /1 of 2 tokens .* \(logged out\)/ },
  ],
  // expiring
  [
    'data access ends in 10 days',
    [token({ inspection: inspection({ dataAccessExpiresAt: inDays(10) }) })],
    { status: 'expiring', reason: /data access for this Page ends on 2026-06-11 \(in 10 days\)/, fix: /open the app .* refresh data access/ },
  ],
  ['data access ends exactly at the window edge', [token({ inspection: inspection({ dataAccessExpiresAt: inDays(14) }) })], { status: 'expiring' }],
  ['data access ends just past the window', [token({ inspection: inspection({ dataAccessExpiresAt: new Date(inDays(14).getTime() + 1) }) })], { status: 'healthy' }],
  ['data access ends in 20 days with a 30-day window', [token({ inspection: inspection({ dataAccessExpiresAt: inDays(20) }) })], { status: 'expiring' }, { expiringWindowDays: 30 }],
  ['data access ends in hours', [token({ inspection: inspection({ dataAccessExpiresAt: new Date(now.getTime() + 3_600_000) }) })], { status: 'expiring', reason: /in less than a day/ }],
  ['a page token that expires in 1 day', [token({ inspection: inspection({ expiresAt: inDays(1), dataAccessExpiresAt: inDays(80) }) })], { status: 'expiring', reason: /token for this Page expires on .* \(in 1 day\)/ }],
  [
    'a user token that ends soon with nothing to replace it, under a page token that expires later',
    [token({ inspection: inspection({ expiresAt: inDays(20), dataAccessExpiresAt: inDays(80) }) })],
    { status: 'expiring', reason: /user token .* ends on 2026-06-04 \(in 3 days\) and nothing replaces it/ },
    { userTokenExpiresAt: { u1: inDays(3) } },
  ],
  [
    'a never-expiring page token stays healthy when the user token that fetched it ends',
    [token()],
    { status: 'healthy' },
    { userTokenExpiresAt: { u1: inDays(3) } },
  ],
  [
    'one admin expiring, another fine: the best token counts',
    [token({ inspection: inspection({ dataAccessExpiresAt: inDays(2) }) }), token({ userId: 'u2', inspection: inspection({ dataAccessExpiresAt: inDays(60) }) })],
    { status: 'healthy' },
  ],
  [
    'an uninspected token has no known end: the Page is not expiring',
    [token({ inspection: inspection({ dataAccessExpiresAt: inDays(2) }) }), token({ userId: 'u2', inspection: null })],
    { status: 'healthy' },
  ],
  [
    'expiring ignores tokens that cannot send',
    [token({ inspection: inspection({ dataAccessExpiresAt: inDays(2) }) }), token({ userId: 'u2', tasks: ['ANALYZE'], inspection: inspection({ dataAccessExpiresAt: inDays(60) }) })],
    { status: 'expiring' },
  ],
  [
    'expiring keeps the lost-token warning',
    [token({ inspection: inspection({ dataAccessExpiresAt: inDays(2) }) }), token({ userId: 'u2', storedStatus: 'invalid', storedReason: 'page_role_removed' })],
    { status: 'expiring', warning: /1 of 2 tokens .* \(Page role removed\)/ },
  ],
];

describe('a Page is classified healthy, expiring, needs_reauth or missing_permission', () => {
  it.each(cases)('%s', (_name, tokens, expected, extra) => {
    const health = classifyPageHealth({ pageId: PAGE, tokens, now, ...extra });
    for (const [key, want] of Object.entries(expected)) {
      const got = health[key as keyof PageHealth];
      if (want instanceof RegExp) expect(got, key).toMatch(want);
      else expect(got, key).toEqual(want);
    }
  });
});

describe('every token loss has plain words', () => {
  it.each(Object.keys(TOKEN_LOSS_REASONS) as Array<keyof typeof TOKEN_LOSS_REASONS>)('%s has a reason, a fix and a short label', (reason) => {
    const d = describeTokenLoss(reason);
    expect(d.reason.length).toBeGreaterThan(20);
    expect(d.fix).toMatch(/connect|facebook\.com|open the app/);
    expect(d.short.length).toBeGreaterThan(2);
  });
});
