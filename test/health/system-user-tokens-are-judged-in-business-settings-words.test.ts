import { describe, expect, it } from 'vitest';
import { classifyPageHealth, type PageTokenFacts } from '../../src/health/classify-page-health.js';
import { describeTokenLoss, SYSTEM_USER_LOSS_REASONS, TOKEN_LOSS_REASONS } from '../../src/core/reasons.js';
import { toTokenInspection } from '../../src/graph/to-token-inspection.js';
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
    userId: 'su1',
    profileId: PAGE,
    expiresAt: null,
    issuedAt: null,
    dataAccessExpiresAt: null,
    scopes: ['pages_show_list', 'pages_messaging'],
    granularScopes: [{ scope: 'pages_messaging', targetIds: [PAGE] }],
    error: null,
    ...over,
  };
}
const lost = (reason: TokenInvalidReason, subcode: number) => inspection({ isValid: false, error: { code: 190, subcode, message: 'Error validating access token', reason } });
const systemUser = (over: Partial<PageTokenFacts> = {}): PageTokenFacts => ({ userId: 'su1', inspection: inspection(), tasks: ['MESSAGING'], storedStatus: 'valid', storedReason: null, kind: 'system_user', ...over });
const person = (over: Partial<PageTokenFacts> = {}): PageTokenFacts => ({ userId: 'u1', inspection: inspection({ userId: 'u1', dataAccessExpiresAt: inDays(80) }), tasks: ['MESSAGING'], storedStatus: 'valid', storedReason: null, ...over });

describe("debug_token of a system user's token", () => {
  it.each([
    ['SYSTEM_USER', 'SYSTEM_USER'],
    ['BUSINESS_INTEGRATION_SYSTEM_USER', 'SYSTEM_USER'],
    ['USER', 'USER'],
    ['SOMETHING_ELSE', null],
  ])('type %s is read as %s', (wire, type) => {
    expect(toTokenInspection({ app_id: '1', type: wire, is_valid: true, expires_at: 0, data_access_expires_at: 0, scopes: [] }).type).toBe(type);
  });

  it('expires_at 0 and data_access_expires_at 0 both mean no end (Meta\'s Business Settings example)', () => {
    const i = toTokenInspection({ app_id: '634974688087057', type: 'SYSTEM_USER', application: 'Lucky Shrub', data_access_expires_at: 0, expires_at: 0, is_valid: true, issued_at: 1712099387, scopes: ['pages_messaging'], granular_scopes: [{ scope: 'pages_messaging' }], user_id: '104169029247128' });
    expect(i).toMatchObject({ type: 'SYSTEM_USER', expiresAt: null, dataAccessExpiresAt: null, userId: '104169029247128' });
  });
});

describe("a Page's health with a system user's token", () => {
  it('no data-access end and no token end: healthy for good', () => {
    expect(classifyPageHealth({ pageId: PAGE, tokens: [systemUser()], now })).toMatchObject({ status: 'healthy', reason: null });
  });

  it('a Page read from the Page itself has no tasks: judged by the pages_messaging grant alone', () => {
    expect(classifyPageHealth({ pageId: PAGE, tokens: [systemUser({ tasks: [] })], now })).toMatchObject({ status: 'healthy' });
    // A person with no tasks is still missing the MESSAGING task.
    expect(classifyPageHealth({ pageId: PAGE, tokens: [person({ tasks: [] })], now })).toMatchObject({ status: 'missing_permission' });
  });

  it('a 60-day token inside the window is expiring, with the refresh explained', () => {
    const h = classifyPageHealth({ pageId: PAGE, tokens: [systemUser({ inspection: inspection({ expiresAt: inDays(10) }) })], now, userTokenExpiresAt: { su1: inDays(10) } });
    expect(h.status).toBe('expiring');
    expect(h.reason).toMatch(/system user token .* ends on 2026-06-11 \(in 10 days\)/);
    expect(h.fix).toMatch(/refreshes 60-day system user tokens/);
  });

  it.each([
    ['app_removed', 458, /business removed the app in Business Settings > Integrations > Connected apps/, /add the app again/],
    ['expired', 463, /60-day token/, /Generate new token/],
    ['invalidated', 466, /revoked in Business Settings/, /--system-user/],
    ['page_role_removed', 492, /no longer assigned to the system user/, /Assign assets/],
    ['invalid', 0, /system user's token/, /--system-user/],
  ] as const)('lost (%s): the reason and the fix speak of Business Settings', (reason, subcode, why, fix) => {
    const h = classifyPageHealth({ pageId: PAGE, tokens: [systemUser({ inspection: lost(reason, subcode) })], now });
    expect(h).toMatchObject({ status: 'needs_reauth', reasonCode: reason });
    expect(h.reason).toMatch(why);
    expect(h.fix).toMatch(fix);
    // The person's words are unchanged.
    expect(describeTokenLoss(reason)).toBe(TOKEN_LOSS_REASONS[reason]);
  });

  it("reasons a system user cannot have fall back to the person's words", () => {
    expect(SYSTEM_USER_LOSS_REASONS.password_changed).toBeUndefined();
    expect(describeTokenLoss('password_changed', 'system_user')).toBe(TOKEN_LOSS_REASONS.password_changed);
  });

  it("the person's token lost, the system user's kept: healthy, the warning names the person's loss", () => {
    const h = classifyPageHealth({ pageId: PAGE, tokens: [person({ inspection: lost('password_changed', 460) }), systemUser()], now });
    expect(h).toMatchObject({ status: 'healthy', validTokens: 1, lostTokens: 1 });
    expect(h.warning).toMatch(/password changed/);
  });
});
