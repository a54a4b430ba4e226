import type { FastifyInstance, FastifyReply } from 'fastify';
import type { StoredConnectSession } from '../../store/connect-session-repository.js';
import { CONNECT_LINK_PATH, type ConnectSessionResult } from '../tenants/connect-sessions.js';
import type { TenantEvents } from '../tenants/tenant-events.js';
import { isPageKeeperError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';
import type { ServiceDeps } from '../deps.js';
import { messagePage } from '../dashboard/pages.js';
import { CONNECT_RESULT_PATH, redirectToFixedResult, redirectToResult, showResult } from './connect-result.js';
import { CONNECT_STATE_COOKIE, CONNECT_STATE_TTL_MS, type ConnectStateGuard } from '../security/connect-state.js';

/**
 * The Facebook Login connect flow (docs/graph-api.md "Login: a short-lived user token"):
 * /connect sets a signed state cookie and redirects to the Login dialog; /oauth/callback
 * accepts only the matching state, once, then lets the library exchange and store.
 * Every failure is a page that says what happened, and nothing is stored. Once the callback has
 * acted, the browser is redirected to the result (connect-result.ts), away from `code` and `state`.
 */
export async function connectRoutes(
  app: FastifyInstance,
  opts: { deps: ServiceDeps; guard: ConnectStateGuard; secureCookies: boolean; logError: (msg: string, err?: unknown) => void; tenantEvents?: TenantEvents },
): Promise<void> {
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

  // A connect link (POST /v1/connect-sessions): used once, then the same Login round trip as
  // /connect, remembered by the hash of its state so the callback knows the tenant.
  app.get(`${CONNECT_LINK_PATH}:secret`, async (request, reply) => {
    const uri = redirectUri();
    const secret = (request.params as { secret?: string }).secret ?? '';
    if (!deps.connect || uri === undefined || !deps.tenants) {
      return reply.code(503).type(html).send(messagePage('Connect is not configured', 'This pagekeeper has no Facebook app configured.', { testid: 'connect-unavailable', error: true }));
    }
    const { state, cookie } = guard.issue();
    const session = /^[A-Za-z0-9_-]{43}$/.test(secret) ? await deps.tenants.sessions.open(secret, state) : undefined;
    if (!session) {
      return reply
        .code(410)
        .type(html)
        .send(messagePage('This connect link cannot be used', 'The link was already used, has expired (links last 15 minutes) or is not a pagekeeper link.', { testid: 'connect-link-used', error: true, fix: 'Ask the app that gave you the link for a new one.' }));
    }
    void reply.setCookie(CONNECT_STATE_COOKIE, cookie, { ...cookieOptions, maxAge: Math.floor(CONNECT_STATE_TTL_MS / 1000) });
    return reply.redirect(deps.connect.loginUrl(state, uri), 302);
  });

  /** Ends a connect link's round trip: records the outcome once, tells the tenant, sends the browser back. */
  async function finishSession(reply: FastifyReply, session: StoredConnectSession, status: 'success' | 'cancelled' | 'error', result: ConnectSessionResult) {
    const sessions = deps.tenants!.sessions;
    if (await sessions.complete(session.id, status, result)) {
      const tenant = await deps.tenants!.get(session.tenantId);
      tenant?.pagesChanged();
      if (tenant) opts.tenantEvents?.emit(tenant, 'connect.completed', { connectSession: session.id, status, ...result });
    }
    void reply.clearCookie(CONNECT_STATE_COOKIE, cookieOptions);
    return reply.redirect(sessions.returnTo(session, status), 303);
  }

  app.get(CONNECT_RESULT_PATH, async (request, reply) => showResult(deps, request.query as Record<string, unknown>, reply));

  app.get('/oauth/callback', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    void reply.clearCookie(CONNECT_STATE_COOKIE, cookieOptions).type(html);
    const fail = (status: number, title: string, message: string, testid: string, fix?: string) =>
      redirectToResult(deps, reply, status, { kind: 'message', title, message, testid, error: true, ...(fix ? { fix } : {}) });

    const uri = redirectUri();
    if (!deps.connect || uri === undefined) {
      return reply.code(503).send(messagePage('Connect is not configured', 'This pagekeeper has no Facebook app configured.', { testid: 'connect-unavailable', error: true }));
    }
    const check = guard.check(q.state, request.cookies[CONNECT_STATE_COOKIE]);
    // Unverified: nothing was done, and nothing is stored for it (anyone can call this URL).
    if (!check.ok) return redirectToFixedResult(reply, check.why === 'replayed' ? 'replayed' : 'bad-state');
    const session = deps.tenants && typeof q.state === 'string' ? await deps.tenants.sessions.byState(q.state) : undefined;
    if (session && session.status === 'opened' && deps.tenants) {
      const empty = { pages: [], pagesGained: [], pagesLost: [] };
      if (q.error !== undefined || q.error_reason !== undefined) return finishSession(reply, session, 'cancelled', { ...empty, problems: ['The person cancelled the Facebook Login dialog or declined permissions; nothing was stored.'] });
      if (typeof q.code !== 'string' || q.code === '' || q.code.length > 2048) return finishSession(reply, session, 'error', { ...empty, problems: ['Facebook sent no login code.'] });
      const tenant = await deps.tenants.get(session.tenantId);
      if (!tenant?.deps.connect) return finishSession(reply, session, 'error', { ...empty, problems: ['The tenant of this link no longer exists.'] });
      try {
        const outcome = await tenant.deps.connect.complete(q.code, uri, session.pages === null ? {} : { onlyPages: session.pages });
        return await finishSession(reply, session, 'success', {
          pages: outcome.pages.map((p) => ({ id: p.id, name: p.name, status: p.status })),
          pagesGained: outcome.added ?? [],
          pagesLost: outcome.removed ?? [],
          problems: outcome.problems,
        });
      } catch (e) {
        const pk = isGraphError(e) ? e.toPageKeeperError() : isPageKeeperError(e) ? e : null;
        if (!pk) opts.logError('connect through a link failed unexpectedly', e);
        return finishSession(reply, session, 'error', { ...empty, problems: [pk ? `${pk.code}: ${pk.message}` : 'An unexpected error stopped the connection; nothing was stored.'] });
      }
    }
    if (q.error !== undefined || q.error_reason !== undefined) {
      return fail(400, 'Connect cancelled', 'You cancelled the Facebook Login dialog or declined permissions; nothing was stored.', 'connect-cancelled', 'Start again and accept the permissions pagekeeper asks for.');
    }
    if (typeof q.code !== 'string' || q.code === '' || q.code.length > 2048) return fail(400, 'Login failed', 'Facebook sent no login code.', 'connect-failed', 'Start again from the Connect button.');

    try {
      const outcome = await deps.connect.complete(q.code, uri);
      return await redirectToResult(deps, reply, 200, { kind: 'connected', outcome });
    } catch (e) {
      const pk = isGraphError(e) ? e.toPageKeeperError() : isPageKeeperError(e) ? e : null;
      if (!pk) opts.logError('connect failed unexpectedly', e);
      return await fail(pk && pk.status < 500 ? 400 : 502, 'Connect failed', pk ? pk.message : 'An unexpected error stopped the connection; nothing was stored.', 'connect-failed', pk?.fix ?? 'Start again from the Connect button.');
    }
  });
}
