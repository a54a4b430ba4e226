import { describe, expect, it } from 'vitest';
import { appsecretProof } from '../../src/graph/appsecret-proof.js';
import { buildRequest, type RequestTarget } from '../../src/graph/build-request.js';
import { GraphError } from '../../src/graph/graph-error.js';
import { APP_SECRET, USER_TOKEN } from './stub-server.js';

const target = (graphUrl = 'https://graph.example.test', graphVersion = 'v25.0'): RequestTarget => ({
  graphUrl: new URL(graphUrl),
  graphVersion,
  proof: (t) => appsecretProof(APP_SECRET, t),
});

describe('building a Graph request', () => {
  it('pins the configured version in front of relative paths, with or without a leading slash', () => {
    expect(buildRequest(target(), { method: 'GET', path: 'me/accounts' }).path).toBe('/v25.0/me/accounts');
    expect(buildRequest(target(), { method: 'GET', path: '/me/accounts' }).path).toBe('/v25.0/me/accounts');
    expect(buildRequest(target(undefined, 'v22.0'), { method: 'GET', path: 'me' }).path).toBe('/v22.0/me');
    expect(buildRequest(target(), { method: 'POST', path: '', form: {} }).path).toBe('/v25.0/');
  });

  it('keeps an explicit version and a path prefix of graphUrl', () => {
    expect(buildRequest(target(), { method: 'GET', path: 'v24.0/me' }).path).toBe('/v24.0/me');
    expect(buildRequest(target('http://127.0.0.1:9/graph/'), { method: 'GET', path: 'me' }).path).toBe('/graph/v25.0/me');
  });

  it('adds access_token and the HMAC-SHA256 appsecret_proof of that token', () => {
    const built = buildRequest(target(), { method: 'GET', path: 'me', token: USER_TOKEN, params: { fields: ['id', 'name'], limit: 100, skip: undefined } });
    const q = new URL(built.path, 'http://x').searchParams;
    expect(q.get('access_token')).toBe(USER_TOKEN);
    // The value Facebook computes: hex(HMAC-SHA256(app secret, token)).
    expect(q.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.get('appsecret_proof')).toBe(appsecretProof(APP_SECRET, USER_TOKEN));
    expect(q.get('fields')).toBe('id,name');
    expect(q.get('limit')).toBe('100');
    expect(q.has('skip')).toBe(false);
  });

  it('sends no proof when the call carries no token', () => {
    const q = new URL(buildRequest(target(), { method: 'GET', path: 'oauth/access_token', params: { client_id: '1' } }).path, 'http://x').searchParams;
    expect(q.has('access_token')).toBe(false);
    expect(q.has('appsecret_proof')).toBe(false);
  });

  it('never shows the token, proof or other secrets in the loggable URL', () => {
    const built = buildRequest(target(), {
      method: 'GET',
      path: 'oauth/access_token',
      token: USER_TOKEN,
      params: { fb_exchange_token: USER_TOKEN, client_secret: APP_SECRET, grant_type: 'fb_exchange_token' },
    });
    expect(built.redactedUrl).not.toContain(USER_TOKEN);
    expect(built.redactedUrl).not.toContain(APP_SECRET);
    expect(built.redactedUrl).not.toContain(appsecretProof(APP_SECRET, USER_TOKEN));
    expect(built.redactedUrl).toContain('grant_type=fb_exchange_token');
    expect(built.redactedUrl).toContain('access_token=***');
  });

  it('follows an absolute paging.next on the same origin and replaces the token it carries', () => {
    const next = 'https://graph.example.test/v25.0/1/accounts?access_token=OLDTOKEN&appsecret_proof=old&limit=25&after=QVFI';
    const built = buildRequest(target(), { method: 'GET', path: next, token: USER_TOKEN });
    const q = new URL(built.path, 'http://x').searchParams;
    expect(built.path.startsWith('/v25.0/1/accounts?')).toBe(true);
    expect(q.getAll('access_token')).toEqual([USER_TOKEN]);
    expect(q.getAll('appsecret_proof')).toEqual([appsecretProof(APP_SECRET, USER_TOKEN)]);
    expect(q.get('after')).toBe('QVFI');
  });

  it('refuses an absolute URL on another origin, without echoing its token', () => {
    const next = 'https://evil.example/v25.0/me/accounts?access_token=EAAleakedtoken0123456789abcdef&after=x';
    let err: unknown;
    try {
      buildRequest(target(), { method: 'GET', path: next, token: USER_TOKEN });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraphError);
    const ge = err as GraphError;
    expect(ge.delivery).toBe('not_sent');
    expect(ge.message).toContain('evil.example');
    expect(ge.message).not.toContain('EAAleakedtoken');
  });

  it('puts the token into the form for form posts (batch), keeping it out of the URL', () => {
    const built = buildRequest(target(), { method: 'POST', path: '', form: { batch: '[]' }, token: USER_TOKEN });
    expect(built.path).toBe('/v25.0/');
    const form = new URLSearchParams(built.body);
    expect(form.get('access_token')).toBe(USER_TOKEN);
    expect(form.get('appsecret_proof')).toBe(appsecretProof(APP_SECRET, USER_TOKEN));
    expect(built.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends JSON bodies as JSON and treats only GET as safe to repeat by default', () => {
    const post = buildRequest(target(), { method: 'POST', path: '1/messages', json: { recipient: { id: '2' } }, token: USER_TOKEN });
    expect(post.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post.body ?? '')).toEqual({ recipient: { id: '2' } });
    expect(post.idempotent).toBe(false);
    expect(buildRequest(target(), { method: 'GET', path: 'me' }).idempotent).toBe(true);
    expect(buildRequest(target(), { method: 'DELETE', path: 'me/permissions' }).idempotent).toBe(false);
    expect(buildRequest(target(), { method: 'POST', path: 'x', idempotent: true }).idempotent).toBe(true);
  });
});

describe('the quick path for plain relative paths', () => {
  // Relative paths of plain characters skip URL parsing; an absolute URL on the same origin takes
  // the general path. Both must put the same bytes on the wire.
  it('builds exactly what the general path builds for the same request', async () => {
    const fc = await import('fast-check');
    const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,12}$/);
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => k !== 'access_token' && k !== 'appsecret_proof'), value, { maxKeys: 4 }),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        fc.constantFrom('json', 'form', 'none'),
        (segments, params, token, kind) => {
          const rel = segments.join('/');
          const extra = kind === 'json' ? { json: { a: 1, text: 'é' } } : kind === 'form' ? { form: { batch: '[]' } } : {};
          const quick = buildRequest(target(), { method: 'POST', path: rel, params, token, ...extra });
          const general = buildRequest(target(), { method: 'POST', path: `https://graph.example.test/v25.0/${rel}`, params, token, ...extra });
          expect(quick.path).toBe(general.path);
          expect(quick.body).toBe(general.body);
          expect(quick.headers).toEqual(general.headers);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
