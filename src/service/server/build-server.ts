import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { pkError } from '../../errors.js';
import { hasScope, type Scope } from '../api-keys/scopes.js';
import type { ApiKeyRecord } from '../api-keys/create-api-key-store.js';
import type { MetricSample, ServiceDeps } from '../deps.js';
import { apiRoutes } from '../routes/api-routes.js';
import { consoleApiRoutes } from '../routes/console-api-routes.js';
import { connectRoutes } from '../routes/connect-routes.js';
import { dashboardRoutes } from '../routes/dashboard-routes.js';
import { eventsRoute } from '../routes/events-route.js';
import { facebookCallbackRoutes } from '../routes/facebook-callback-routes.js';
import { webhookRoutes } from '../routes/webhook-routes.js';
import { browserRequestGuard } from '../security/browser-request-guard.js';
import { createConnectStateGuard } from '../security/connect-state.js';
import { safeEqual } from '../security/signed-value.js';
import { createEventHub, type EventHub } from '../webhooks/event-hub.js';
import { createForwarder, type Forwarder } from '../webhooks/create-forwarder.js';
import { createInboundBatcher } from '../webhooks/create-inbound-batcher.js';
import { createAuthFailureLimiter, type AuthFailureLimiter } from './auth-failure-limiter.js';
import { errorResponse } from './error-response.js';
import { createMetricsRegistry, type MetricsRegistry } from './metrics-registry.js';
import { buildOpenApi, registerApiRoutes } from './route-table.js';
import { securityHeaders } from './security-headers.js';
import { resolveReach } from '../tenants/reach.js';
import { createTenantEvents, eventFor } from '../tenants/tenant-events.js';
import { withTenantFanOut } from '../tenants/fan-out.js';
import { tenantRoutes } from '../routes/tenant-routes.js';
import { graphProxyOpenApi, graphProxyRoute } from '../routes/graph-proxy-route.js';

/** 1 MiB: webhook batches and messages are far smaller; anything bigger is refused with 413. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** The whole request (headers and body) must arrive within this; slow clients are cut off. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Headers must arrive within this (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** An idle socket is closed after this (SSE streams send a heartbeat more often). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;
const CONNECTIONS_CHECK_MS = 1_000;
export const SERVICE_VERSION = '0.1.0';

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

export interface BuildServerOptions {
  /** A pino logger (see createServiceLogger); default: no logging. */
  logger?: Logger;
  bodyLimit?: number;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Failed authentications per address per minute before further failures get 429. */
  maxAuthFailures?: number;
  /**
   * Fastify's `trustProxy` (PAGEKEEPER_TRUST_PROXY): the proxy addresses/CIDRs whose
   * X-Forwarded-For is believed, or a hop count. Default: none, the socket address is the client.
   */
  trustProxy?: string[] | number;
  /** How often an open /v1/events stream re-checks its key (default SSE_RECHECK_MS). */
  eventStreamRecheckMs?: number;
  /** Longest life of one /v1/events stream (default SSE_MAX_LIFE_MS). */
  eventStreamMaxLifeMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
  }
}

export interface PageKeeperServer {
  app: FastifyInstance;
  hub: EventHub;
  forwarder: Forwarder | undefined;
  /**
   * Stops taking requests, ends event streams, waits for in-flight requests and background
   * work (webhook bookkeeping, forwards) up to `timeoutMs`, then closes.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Builds the service without listening: tests drive it with `app.inject` or listen
 * on port 0. Routes only talk to `deps`.
 */
export async function buildServer(deps: ServiceDeps, options: BuildServerOptions = {}): Promise<PageKeeperServer> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const https = deps.config.publicUrl?.startsWith('https:') === true;
  const headers = securityHeaders({ https });
  const metrics: MetricsRegistry = createMetricsRegistry();
  const limiter: AuthFailureLimiter = createAuthFailureLimiter(options.maxAuthFailures);
  const hub = createEventHub();

  // Typed as the default instance: the logger's concrete type does not matter to the routes.
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // Request ids are random, not a counter, so logs of two instances do not collide.
    genReqId: () => crypto.randomUUID(),
    return503OnClosing: true,
    // Off unless PAGEKEEPER_TRUST_PROXY names the proxies (or a hop count): with it on, anyone
    // could choose their address with X-Forwarded-For and dodge the failed-login limit.
    // A hop count trusts that many proxies nearest to us, as Fastify does for a number.
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : (options.trustProxy ?? false),
    // The router's own refusals (a malformed %-escape, a path segment over 100 characters) would
    // otherwise answer in Fastify's shape, echoing the URL; answer in ours, with a code.
    frameworkErrors: (err, _request, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const message = status === 414 ? 'Invalid request: a path segment is too long' : 'Invalid request: the URL is malformed';
      void (reply as unknown as FastifyReply).code(status).send({ error: { code: 'PK_VALIDATION', message } });
    },
    http: {
      headersTimeout: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      // Node checks header/request timeouts only this often (default 30 s): make it prompt.
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
  }) as unknown as FastifyInstance;
  const logError = (msg: string, err?: unknown) => app.log.error({ err: err instanceof Error ? { message: err.message, name: err.name } : undefined }, msg);

  const forwarder =
    deps.config.forwardUrl && deps.config.forwardSecret
      ? createForwarder({ url: deps.config.forwardUrl, secret: deps.config.forwardSecret, onError: (d) => app.log.warn(d) })
      : undefined;
  if (deps.config.forwardUrl && !deps.config.forwardSecret) app.log.warn('PAGEKEEPER_FORWARD_URL is set without PAGEKEEPER_FORWARD_SECRET; events are not forwarded unsigned');
  // Outbox outcomes (message.status) go where webhook events go: the event stream and the forward URL.
  const offStatus = deps.onMessageStatus?.((e) => {
    hub.publish('message.status', e);
    forwarder?.forward(Buffer.from(JSON.stringify(e)), 'message.status');
  });

  await app.register(formbody, { bodyLimit });

  // Sync hooks (callback style): an async hook costs a promise and a microtask hop per request.
  // Set after the route's own headers, so a route cannot weaken them; cache-control only by default.
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.headers(headers);
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  // One counter cell per method, route pattern and status, found by one string key: label
  // objects and their text are built once per combination, not once per request.
  const requestCounters = new Map<string, () => void>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: bounded label values and no ids or tokens.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let inc = requestCounters.get(key);
    if (!inc) {
      inc = metrics.counter('pagekeeper_http_requests_total', 'HTTP requests by route and status', { method: request.method, route, status: String(reply.statusCode) });
      requestCounters.set(key, inc);
    }
    inc();
    done();
  });

  app.setErrorHandler(async (err, request, reply) => {
    const r = errorResponse(err, bodyLimit);
    if (r.unexpected) request.log.error({ err: { message: (err as Error).message, name: (err as Error).name, stack: (err as Error).stack } }, 'unexpected error');
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: { code: 'PK_NOT_FOUND', message: 'Route not found' } }));

  const bearer = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    return typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header)?.[1] : undefined;
  };
  /**
   * The refusal for this key and scope, or undefined after admitting the request. The key is
   * checked first: a valid key is never refused because of other callers' failures from the same
   * address (behind a proxy every client may share one). Only a failed attempt is counted, and
   * only failed attempts are answered 429 once the address has failed too often.
   */
  const admit = (request: FastifyRequest, key: ApiKeyRecord | null, scope: Scope): Error | undefined => {
    if (!key) {
      const wait = limiter.blockedFor(request.ip);
      if (wait > 0) return pkError('PK_RATE_LIMITED', { retryAfter: wait }, { details: { retryAfter: wait } });
      limiter.recordFailure(request.ip);
      return pkError('PK_UNAUTHORIZED');
    }
    if (!hasScope(key.scopes, scope)) return pkError('PK_FORBIDDEN', { scope });
    request.apiKey = key;
    return undefined;
  };
  const authenticate = (scope: Scope) => async (request: FastifyRequest, _reply: FastifyReply) => {
    const presented = bearer(request);
    const refused = admit(request, presented ? await deps.apiKeys.authenticate(presented) : null, scope);
    if (refused) throw refused;
    request.reach = await resolveReach(request.apiKey!, deps);
  };
  // The same check as a callback hook: a key found in the lookup cache is decided synchronously
  // (no promise, no microtask per request); anything else goes through `authenticate`.
  const authenticateHook = (scope: Scope) => {
    const slow = authenticate(scope);
    return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const presented = bearer(request);
      const hit = presented === undefined ? undefined : deps.apiKeys.cached(presented);
      if (hit) {
        const refused = admit(request, hit, scope);
        if (refused) return done(refused);
        // The key's tenant and Pages, decided once here for every route (src/service/tenants/reach.ts).
        const reach = resolveReach(hit, deps);
        if (reach instanceof Promise) {
          reach.then((r) => {
            request.reach = r;
            done();
          }, done);
          return;
        }
        request.reach = reach;
        done();
        return;
      }
      slow(request, reply).then(() => done(), done);
    };
  };

  // Public, unauthenticated surface.
  app.get('/healthz', async (_request, reply) => {
    try {
      await deps.ping();
      return { status: 'ok', database: 'ok', uptimeSeconds: Math.round(process.uptime()) };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable', error: { code: 'PK_DB_UNREACHABLE', message: 'The database does not answer' } });
    }
  });
  const metricsKey = deps.config.metricsKey;
  app.get('/metrics', async (request, reply) => {
    // Optional: page counts, queue sizes and Page ids are not for everyone who can reach the port.
    if (metricsKey !== undefined) {
      const given = bearer(request);
      if (given === undefined || !safeEqual(given, metricsKey)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'PK_UNAUTHORIZED', message: 'GET /metrics needs Authorization: Bearer <PAGEKEEPER_METRICS_KEY>' } });
      }
    }
    const extra: MetricSample[] = [];
    const [pages, outbox] = await Promise.all([deps.pages.list().catch(() => []), deps.outboxCounts().catch(() => ({}) as Record<string, number>)]);
    for (const status of ['healthy', 'expiring', 'needs_reauth', 'missing_permission']) {
      extra.push({ name: 'pagekeeper_pages', help: 'Connected pages by status', type: 'gauge', labels: { status }, value: pages.filter((p) => p.removedAt === null && p.status === status).length });
    }
    for (const [status, n] of Object.entries(outbox)) extra.push({ name: 'pagekeeper_outbox_messages', help: 'Outbox messages by status', type: 'gauge', labels: { status }, value: n });
    if (forwarder) {
      for (const [outcome, n] of Object.entries(forwarder.stats)) extra.push({ name: 'pagekeeper_forwarded_events_total', help: 'Webhook bodies forwarded to PAGEKEEPER_FORWARD_URL by outcome', type: 'counter', labels: { outcome }, value: n });
    }
    extra.push({ name: 'pagekeeper_event_stream_subscribers', help: 'Open /v1/events streams', type: 'gauge', value: hub.size });
    extra.push({ name: 'process_resident_memory_bytes', help: 'Resident memory', type: 'gauge', value: process.memoryUsage().rss });
    extra.push({ name: 'process_uptime_seconds', help: 'Seconds since the process started', type: 'gauge', value: Math.round(process.uptime()) });
    if (deps.extraMetrics) extra.push(...(await deps.extraMetrics()));
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render(extra));
  });

  // Tenants: each tenant's Pages, events and forwards are its own (src/service/tenants/).
  const tenantEvents = deps.tenants ? createTenantEvents(deps.tenants, hub, (d) => app.log.warn(d)) : undefined;
  const routes = [...apiRoutes(deps), ...tenantRoutes(deps), ...consoleApiRoutes(deps)];
  const openApi = buildOpenApi(routes, { version: SERVICE_VERSION, ...(deps.config.publicUrl ? { serverUrl: deps.config.publicUrl } : {}), extraPaths: graphProxyOpenApi() });
  app.get('/openapi.json', async () => openApi);
  registerApiRoutes(app, routes, authenticateHook);
  graphProxyRoute(app, deps, authenticateHook);
  eventsRoute(app, {
    hub,
    preHandler: authenticate('events:read'),
    headers,
    filter: (request, e) => eventFor(request.reach, e),
    stillAllowed: async (request) => {
      const presented = bearer(request);
      const key = presented === undefined ? null : await deps.apiKeys.authenticate(presented);
      return key !== null && hasScope(key.scopes, 'events:read');
    },
    ...(options.eventStreamRecheckMs === undefined ? {} : { recheckMs: options.eventStreamRecheckMs }),
    ...(options.eventStreamMaxLifeMs === undefined ? {} : { maxLifeMs: options.eventStreamMaxLifeMs }),
  });

  const inbound = createInboundBatcher({
    write: (contacts) => (tenantEvents ? tenantEvents.recordInbound(contacts) : deps.recordInbound(contacts)),
    onError: (e) => logError('recording inbound messages failed', e),
  });
  await app.register(webhookRoutes, { deps, hub, forwarder, inbound, ...(tenantEvents ? { tenantEvents } : {}) });
  await app.register(facebookCallbackRoutes, {
    deps: deps.tenants ? withTenantFanOut(deps, deps.tenants) : deps,
    baseUrl: (req) => deps.config.publicUrl ?? `${req.protocol}://${req.host}`,
  });
  const secureCookies = https;
  const connectSecret = deps.config.appSecret ?? deps.config.cookieSecret;
  // Cookies only where they are used (connect state, dashboard session): the cookie plugin's
  // onRequest and onSend hooks would otherwise run on every API request too.
  await app.register(async (withCookies) => {
    withCookies.addHook('onRequest', browserRequestGuard({ dev: deps.config.devOpenDashboard, publicUrl: () => deps.config.publicUrl }));
    await withCookies.register(cookie);
    await withCookies.register(connectRoutes, { deps, guard: createConnectStateGuard(connectSecret), secureCookies, logError, ...(tenantEvents ? { tenantEvents } : {}) });
    await withCookies.register(dashboardRoutes, { deps, limiter, secureCookies });
  });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (timeoutMs = 8_000) =>
    (shuttingDown ??= (async () => {
      offStatus?.();
      hub.close();
      const deadline = Date.now() + timeoutMs;
      const closing = app.close();
      // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
      app.server.closeIdleConnections?.();
      await Promise.race([closing, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
      app.server.closeAllConnections?.();
      await Promise.race([inbound.flush(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
      await forwarder?.drain(Math.max(0, deadline - Date.now()));
      await tenantEvents?.drain(Math.max(0, deadline - Date.now()));
    })());

  return { app, hub, forwarder, shutdown };
}
