import { describe, expect, it } from 'vitest';
import { accessTokenResponseSchema, debugTokenResponseSchema, pageAccountsSchema, sendMessageResponseSchema } from '../../src/graph/schemas.js';
import { toTokenInspection } from '../../src/graph/to-token-inspection.js';

describe('reading debug_token', () => {
  it('turns a never-expiring page token into expiresAt null', () => {
    const { data } = debugTokenResponseSchema.parse({
      data: {
        app_id: '1234', type: 'PAGE', application: 'App Name', data_access_expires_at: 1676858291, expires_at: 0, is_valid: true, profile_id: '555',
        scopes: ['pages_show_list', 'pages_messaging'], granular_scopes: [{ scope: 'pages_messaging', target_ids: ['555'] }, { scope: 'pages_show_list' }], user_id: '777',
      },
    });
    expect(toTokenInspection(data)).toEqual({
      isValid: true, type: 'PAGE', appId: '1234', application: 'App Name', userId: '777', profileId: '555', expiresAt: null, issuedAt: null,
      dataAccessExpiresAt: new Date(1676858291 * 1000), scopes: ['pages_show_list', 'pages_messaging'],
      granularScopes: [{ scope: 'pages_messaging', targetIds: ['555'] }, { scope: 'pages_show_list', targetIds: null }], error: null,
    });
  });

  it('reads a user token with expiry, issued_at and metadata', () => {
    const { data } = debugTokenResponseSchema.parse({ data: { app_id: '1', type: 'USER', application: 'A', expires_at: 1700000000, issued_at: 1690000000, is_valid: true, scopes: [], user_id: '2', metadata: { auth_type: 'rerequest' } } });
    const t = toTokenInspection(data);
    expect(t.expiresAt).toEqual(new Date(1700000000 * 1000));
    expect(t.issuedAt).toEqual(new Date(1690000000 * 1000));
    expect(t.profileId).toBeNull();
  });

  it('reads the reason of an invalid token from `subcode` inside data', () => {
    const { data } = debugTokenResponseSchema.parse({
      data: { app_id: '1', type: 'USER', application: 'A', error: { code: 190, message: 'Error validating access token: The session has been invalidated because the user changed their password.', subcode: 460 }, is_valid: false, scopes: ['pages_show_list'], user_id: '2' },
    });
    expect(toTokenInspection(data)).toMatchObject({ isValid: false, error: { code: 190, subcode: 460, reason: 'password_changed' } });
  });

  it('reads a garbage token (no app, no type, no subcode)', () => {
    const { data } = debugTokenResponseSchema.parse({ data: { error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, is_valid: false, scopes: [] } });
    expect(toTokenInspection(data)).toMatchObject({ isValid: false, type: null, appId: null, error: { code: 190, subcode: null, reason: 'invalid' } });
  });

  it('reads an app token', () => {
    const { data } = debugTokenResponseSchema.parse({ data: { app_id: '1', type: 'APP', application: 'A', is_valid: true, scopes: [] } });
    expect(toTokenInspection(data)).toMatchObject({ isValid: true, type: 'APP', expiresAt: null, error: null });
  });
});

describe('wire schemas accept the shapes in the notes', () => {
  it.each([
    ['long-lived exchange', accessTokenResponseSchema, { access_token: 'EAAx', token_type: 'bearer', expires_in: 5183944 }],
    ['me/accounts', pageAccountsSchema, { data: [{ access_token: 'EAAp', category: 'Shop', category_list: [{ id: '1', name: 'Shop' }], name: 'P', id: '5', tasks: ['ANALYZE', 'MESSAGING'] }], paging: { cursors: { before: 'a', after: 'b' } } }],
    ['send API', sendMessageResponseSchema, { recipient_id: '1', message_id: 'm_AG5Hz2' }],
  ])('%s', (_name, schema, body) => {
    expect(schema.safeParse(body).success).toBe(true);
  });

  it('refuses a valid debug_token without app_id', () => {
    expect(debugTokenResponseSchema.safeParse({ data: { is_valid: true, type: 'USER' } }).success).toBe(false);
  });
});
