import { describeGraphVersion, judgeGraphVersion } from '../../core/graph-versions.js';
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPageKeeperError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';
import type { ServiceDeps } from '../deps.js';
import { DASHBOARD_CSS } from '../dashboard/dashboard.css.js';
import { dashboardPage, loginPage, messagePage } from '../dashboard/pages.js';
import { loadHomeCharts, loadPageCharts, pageActivityPage, renderHomeCharts, renderPageChartFigures } from '../dashboard/charts-activity.js';
import type { AuthFailureLimiter } from '../server/auth-failure-limiter.js';
import { createValueSigner, safeEqual } from '../security/signed-value.js';
import { PageIdSchema } from './api-routes.js';
import { consoleDashboardRoutes } from './console-dashboard-routes.js';

export const ADMIN_COOKIE = 'pk_admin';
/** A dashboard session ends after this, or at logout (on every instance). */
export const ADMIN_SESSION_TTL_MS = 2 * 60 * 60 * 1000;
const RECENT_EVENTS = 20;

/**
 * The dashboard, behind an admin login: a form posting PAGEKEEPER_ADMIN_KEY
 * sets a signed session cookie (key derived from the admin key, so changing the admin key
 * signs everyone out). Open without login only with `--dev` on a loopback address.
 * Forms carry a CSRF token bound to the session, on top of the SameSite=Strict cookie.
 */
export async function dashboardRoutes(
  app: FastifyInstance,
  opts: { deps: ServiceDeps; limiter: AuthFailureLimiter; secureCookies: boolean },
): Promise<void> {
  const { deps, limiter } = opts;
  const adminKey = deps.config.adminKey;
  const signer = adminKey === undefined ? undefined : createValueSigner(adminKey, 'admin-session');
  // In --dev every visitor shares the session 'dev', so its CSRF token must not be derivable
  // from anything fixed: a fresh key per process.
  const csrfKey = deps.config.devOpenDashboard ? randomBytes(32) : createHmac('sha256', deps.config.cookieSecret).update('pagekeeper:csrf').digest();
  const csrfFor = (session: string) => createHmac('sha256', csrfKey).update(session).digest('base64url');
  const cookieOptions = { path: '/', httpOnly: true, secure: opts.secureCookies, sameSite: 'strict' as const };
  const html = 'text/html; charset=utf-8';

  /**
   * The session cookie when the request may see the dashboard, else null. The cookie must be
   * intact and unexpired, and its session must still be on record (logout removes it).
   */
  const session = async (request: FastifyRequest): Promise<string | null> => {
    if (deps.config.devOpenDashboard) return 'dev';
    const cookie = request.cookies[ADMIN_COOKIE];
    const id = signer && cookie ? signer.verify(cookie) : null;
    if (id === null || cookie === undefined) return null;
    return (await deps.adminSessions.isActive(id, Date.now())) ? cookie : null;
  };
  const csrfOk = (request: FastifyRequest, s: string) => {
    const given = (request.body as Record<string, unknown> | undefined)?.csrf;
    return typeof given === 'string' && safeEqual(given, csrfFor(s));
  };
  const notConfigured = (reply: FastifyReply) =>
    reply
      .code(503)
      .type(html)
      .send(messagePage('Dashboard locked', 'No admin key is configured.', { testid: 'dashboard-locked', fix: 'Set PAGEKEEPER_ADMIN_KEY (or run with --dev on 127.0.0.1).', error: true }));

  app.get('/assets/dashboard.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(DASHBOARD_CSS));

  app.get('/', async (request, reply) => {
    const s = await session(request);
    if (s === null) return signer ? reply.redirect('/login', 303) : notConfigured(reply);
    const q = request.query as Record<string, unknown>;
    const [pages, events, outboxCounts] = await Promise.all([deps.pages.list(), deps.recentEvents(RECENT_EVENTS), deps.outboxCounts()]);
    const charts = deps.activity === undefined ? undefined : renderHomeCharts(await loadHomeCharts(deps.activity, deps.now()), pages.filter((p) => p.removedAt === null));
    return reply.type(html).send(
      dashboardPage({
        pages,
        events,
        outboxCounts,
        now: new Date(),
        canConnect: deps.connect !== undefined && deps.config.publicUrl !== undefined,
        signedIn: !deps.config.devOpenDashboard,
        csrf: csrfFor(s),
        canCheck: true,
        ...(q.checked === '1' ? { notice: 'Check finished.' } : {}),
        ...(charts === undefined ? {} : { charts }),
        ...(typeof q.removed === 'string' && /^\d{1,32}$/.test(q.removed) ? { notice: `Page ${q.removed} was removed: its waiting messages were cancelled and its tokens deleted.` } : {}),
        ...(deps.config.graphVersion === undefined ? {} : graphVersionBanner(deps.config.graphVersion, deps.now())),
      }),
    );
  });

  app.get('/pages/:id/activity', async (request, reply) => {
    const s = await session(request);
    if (s === null) return signer ? reply.redirect('/login', 303) : notConfigured(reply);
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    const page = id.success ? await deps.pages.get(id.data) : undefined;
    if (page === undefined || deps.activity === undefined) return reply.code(404).type(html).send(messagePage('Unknown page', 'No connected Page has this id.', { testid: 'page-not-found', error: true }));
    const model = await loadPageCharts(deps.activity, page.id, deps.now());
    return reply.type(html).send(pageActivityPage(page, model, { signedIn: !deps.config.devOpenDashboard, csrf: csrfFor(s) }));
  });

  app.get('/login', async (request, reply) => {
    if (!signer) return deps.config.devOpenDashboard ? reply.redirect('/', 303) : notConfigured(reply);
    if ((await session(request)) !== null) return reply.redirect('/', 303);
    return reply.type(html).send(loginPage(null));
  });

  app.post('/login', async (request, reply) => {
    if (!signer || adminKey === undefined) return notConfigured(reply);
    // The key is checked first: a correct login is never refused for other callers' failures.
    const given = (request.body as Record<string, unknown> | undefined)?.adminKey;
    if (typeof given !== 'string' || !safeEqual(given, adminKey)) {
      const wait = limiter.blockedFor(request.ip);
      if (wait > 0) return reply.code(429).header('retry-after', String(wait)).type(html).send(loginPage(`Too many attempts; try again in ${wait} s.`));
      limiter.recordFailure(request.ip);
      return reply.code(401).type(html).send(loginPage('That admin key is not right.'));
    }
    const id = randomBytes(16).toString('base64url');
    const at = Date.now();
    await deps.adminSessions.create(id, at, at + ADMIN_SESSION_TTL_MS);
    const cookie = signer.sign(id, ADMIN_SESSION_TTL_MS, at);
    void reply.setCookie(ADMIN_COOKIE, cookie, { ...cookieOptions, maxAge: Math.floor(ADMIN_SESSION_TTL_MS / 1000) });
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const s = await session(request);
    if (s !== null && csrfOk(request, s)) {
      // Ended on the server: the cookie, if someone kept a copy, no longer opens anything.
      const id = signer?.verify(s);
      if (id) await deps.adminSessions.end(id);
      void reply.clearCookie(ADMIN_COOKIE, cookieOptions);
    }
    return reply.redirect(signer ? '/login' : '/', 303);
  });

  app.post('/pages/:id/check', async (request, reply) => {
    const s = await session(request);
    if (s === null) return reply.code(401).type(html).send(messagePage('Sign in first', 'Your session has ended.', { testid: 'signed-out', error: true }));
    if (!csrfOk(request, s)) return reply.code(403).type(html).send(messagePage('Request refused', 'The form was stale or came from another site.', { testid: 'csrf-refused', error: true }));
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    if (!id.success) return reply.code(400).type(html).send(messagePage('Unknown page', 'That is not a Page id.', { testid: 'check-failed', error: true }));
    try {
      await deps.pages.check(id.data);
    } catch (e) {
      const pk = isGraphError(e) ? e.toPageKeeperError() : isPageKeeperError(e) ? e : null;
      if (!pk) throw e;
      return reply.code(pk.status).type(html).send(messagePage('Check failed', pk.message, { testid: 'check-failed', error: true, ...(pk.fix ? { fix: pk.fix } : {}) }));
    }
    // From a Page's detail, back to it.
    return reply.redirect((request.body as Record<string, unknown> | undefined)?.back === 'detail' ? `/pages/${id.data}?checked=1` : '/?checked=1', 303);
  });

  // The operations console (Page detail, messages, events), behind the same session and CSRF rules.
  await consoleDashboardRoutes(app, {
    deps,
    signIn: async (request, reply) => {
      const s = await session(request);
      if (s === null) void (signer ? reply.redirect('/login', 303) : notConfigured(reply));
      return s;
    },
    checkPost: async (request, reply) => {
      const s = await session(request);
      if (s === null) {
        void reply.code(401).type(html).send(messagePage('Sign in first', 'Your session has ended.', { testid: 'signed-out', error: true }));
        return null;
      }
      if (!csrfOk(request, s)) {
        void reply.code(403).type(html).send(messagePage('Request refused', 'The form was stale or came from another site.', { testid: 'csrf-refused', error: true }));
        return null;
      }
      return s;
    },
    csrfFor,
    signedIn: !deps.config.devOpenDashboard,
    // The Page's activity charts in the detail page's charts section (charts-activity.ts).
    ...(deps.activity === undefined ? {} : { pageCharts: async (pageId: string) => renderPageChartFigures(await loadPageCharts(deps.activity!, pageId, deps.now())).value }),
  });
}

/** The home page's banner from 90 days before the pinned Graph version ends (src/core/graph-versions.ts). */
function graphVersionBanner(version: string, nowMs: number): { versionWarning?: string } {
  const v = judgeGraphVersion(version, nowMs);
  return v.state === 'ending' || v.state === 'ended' ? { versionWarning: describeGraphVersion(v) } : {};
}
