import type { FastifyInstance } from 'fastify';
import { isPageKeeperError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';
import type { ServiceDeps } from '../deps.js';
import { connectResultPage, messagePage } from '../dashboard/pages.js';
import { CONNECT_STATE_COOKIE, CONNECT_STATE_TTL_MS, type ConnectStateGuard } from '../security/connect-state.js';

/**
 * The Facebook Login connect flow (docs/graph-api.md "Login: a short-lived user token"):
 * /connect sets a signed state cookie and redirects to the Login dialog; /oauth/callback
 * accepts only the matching state, once, then lets the library exchange and store.
 * Every failure is a page that says what happened, and nothing is stored.
 */
export async function connectRoutes(app: FastifyInstance, opts: { deps: ServiceDeps; guard: ConnectStateGuard; secureCookies: boolean; logError: (msg: string, err?: unknown) => void }): Promise<void> {
  const { deps, guard } = opts;
  const cookieOptions = { path: '/oauth/callback', httpOnly: true, secure: opts.secureCookies, sameSite: 'lax' as const };
  const redirectUri = () => (deps.config.publicUrl === undefined ? undefined : `${deps.config.publicUrl}/oauth/callback`);
  const html = 'text/html; charset=utf-8';

  app.get('/connect', async (_request, reply) => {
    const uri = redirectUri();
    if (!deps.connect || uri === undefined) {
      return reply
        .code(503)
        .type(html)
        .send(messagePage('Connect is not configured', 'This pagekeeper has no Facebook app configured.', { testid: 'connect-unavailable', fix: 'Set PAGEKEEPER_APP_ID, PAGEKEEPER_APP_SECRET and PAGEKEEPER_PUBLIC_URL.', error: true }));
    }
    const { state, cookie } = guard.issue();
    // SameSite=Lax: the callback is a top-level navigation back from facebook.com, which Lax allows.
    void reply.setCookie(CONNECT_STATE_COOKIE, cookie, { ...cookieOptions, maxAge: Math.floor(CONNECT_STATE_TTL_MS / 1000) });
    return reply.redirect(deps.connect.loginUrl(state, uri), 302);
  });

  app.get('/oauth/callback', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    void reply.clearCookie(CONNECT_STATE_COOKIE, cookieOptions).type(html);
    const fail = (status: number, title: string, message: string, testid: string, fix?: string) =>
      reply.code(status).send(messagePage(title, message, { testid, error: true, ...(fix ? { fix } : {}) }));

    const uri = redirectUri();
    if (!deps.connect || uri === undefined) return fail(503, 'Connect is not configured', 'This pagekeeper has no Facebook app configured.', 'connect-unavailable');
    const check = guard.check(q.state, request.cookies[CONNECT_STATE_COOKIE]);
    if (!check.ok) {
      return fail(
        400,
        'Login could not be verified',
        check.why === 'replayed' ? 'This login was already used.' : 'The login state is missing, expired or does not match this browser.',
        'connect-bad-state',
        'Start again from the Connect button.',
      );
    }
    if (q.error !== undefined || q.error_reason !== undefined) {
      return fail(400, 'Connect cancelled', 'You cancelled the Facebook Login dialog or declined permissions; nothing was stored.', 'connect-cancelled', 'Start again and accept the permissions pagekeeper asks for.');
    }
    if (typeof q.code !== 'string' || q.code === '' || q.code.length > 2048) return fail(400, 'Login failed', 'Facebook sent no login code.', 'connect-failed', 'Start again from the Connect button.');

    try {
      const outcome = await deps.connect.complete(q.code, uri);
      return reply.code(200).send(connectResultPage(outcome));
    } catch (e) {
      const pk = isGraphError(e) ? e.toPageKeeperError() : isPageKeeperError(e) ? e : null;
      if (!pk) opts.logError('connect failed unexpectedly', e);
      return fail(pk && pk.status < 500 ? 400 : 502, 'Connect failed', pk ? pk.message : 'An unexpected error stopped the connection; nothing was stored.', 'connect-failed', pk?.fix ?? 'Start again from the Connect button.');
    }
  });
}
