/**
 * Builds the emulator's Fastify app without listening (style.md: factories, no singletons).
 * Graph requests all go through one catch-all route into `graph.handle`; the control API
 * lives under /_emulator; the Login dialog is served at /{v}/dialog/oauth.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'node:querystring';
import { createBusiness } from './business.js';
import { parse, registerControl } from './control.js';
import { registerPlatformControl } from './control-platform.js';
import { dialogRedirect, messagePage, renderDialog } from './dialog.js';
import type { DialogQuery } from './dialog.js';
import type { Fault } from './faults.js';
import { createFaults, faultAnswer } from './faults.js';
import { errorResult } from './graph-error.js';
import { DEFAULT_VERSION, createGraph, servedVersion } from './graph.js';
import type { BatchItemOverride } from './graph.js';
import { createLatency, registerLatencyControl } from './latency.js';
import { createLimits } from './limits.js';
import { registerMultipart } from './multipart.js';
import type { EmulatorState, SeedSpec } from './state.js';
import { createState } from './state.js';
import { createSubscriptions } from './subscriptions.js';
import { verifyEndpoint } from './webhooks.js';

const VERSION_RE = /^v\d+\.\d+$/;
const JSON_TYPE = 'application/json; charset=UTF-8';

export interface EmulatorServerOptions {
  seed: SeedSpec;
  requireAppsecretProof?: boolean;
  /** Real-time source in ms; the emulator clock is this plus the advanced offset. */
  now?: () => number;
  /** Round trip added to every Graph answer (see latency.ts); changeable with PUT /_emulator/latency. */
  latency?: { ms: number; jitterMs?: number; match?: string };
}

export interface EmulatorServer {
  app: FastifyInstance;
  state: EmulatorState;
  /** Emulator clock in ms. */
  now: () => number;
  seeded: { userId: string; token: string }[];
}

function bodyParams(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  if (typeof body === 'string') {
    const s = body.trim();
    if (s.startsWith('{')) {
      try {
        return JSON.parse(s) as Record<string, unknown>;
      } catch {
        return {};
      }
    }
    return parseQuery(s) as Record<string, unknown>;
  }
  return {};
}

export function buildEmulatorServer(options: EmulatorServerOptions): EmulatorServer {
  const realNow = options.now ?? Date.now;
  let offsetMs = 0;
  const now = () => realNow() + offsetMs;
  const state = createState(now);
  const seeded = state.seed(options.seed).map(({ user, token }) => ({ userId: user.id, token: token.value }));
  const limits = createLimits(now);
  const faults = createFaults();
  const business = createBusiness(state, now);
  const subscriptions = createSubscriptions({ state, now });
  const graph = createGraph({ state, limits, now, business, requireProof: options.requireAppsecretProof === true, itemFault: (path) => batchItemFault(path), subscriptions });

  /** Faults hit batch items as they would the same request sent alone; `reset` and `timeout` leave the item null (not finished). */
  function batchItemFault(path: string): BatchItemOverride | undefined {
    const fault = faults.pick(path);
    if (!fault) return undefined;
    const answer = faultAnswer(fault.kind);
    if (!answer) return { item: null };
    if (answer.error) {
      const r = errorResult({ ...answer.error, status: answer.status });
      return { result: { status: answer.status, body: r.body, headers: r.headers } };
    }
    return { item: { code: answer.status, headers: [{ name: 'Content-Type', value: answer.contentType }], body: answer.body } };
  }
  const hung = new Set<FastifyRequest>();

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024, return503OnClosing: false });
  void app.register(formbody);
  registerMultipart(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const s = typeof body === 'string' ? body : body.toString();
    if (s.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(s));
    } catch (e) {
      const err = new Error(`the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`) as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  // Anything else (text/plain, no content type): Facebook reads it as a form.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const latency = createLatency();
  if (options.latency) latency.set(options.latency);
  registerLatencyControl(app, latency);
  // Graph answers wait here (timers only; the request was already handled on arrival).
  app.addHook('onSend', (req, _reply, payload, done) => {
    const ms = latency.delayFor(req.url);
    if (ms === 0) return done(null, payload);
    setTimeout(done, ms, null, payload);
  });

  business.register(app);
  registerControl(app, {
    state,
    graph,
    subscriptions,
    limits,
    faults,
    now,
    advance: (seconds) => {
      offsetMs += seconds * 1000;
    },
  });

  registerPlatformControl(app, { state, platform: graph.platform, parse });

  async function applyFault(fault: Fault, req: FastifyRequest, reply: FastifyReply, version: string): Promise<boolean> {
    const answer = faultAnswer(fault.kind);
    if (answer) {
      if (answer.error) {
        const r = errorResult({ ...answer.error, status: answer.status });
        await reply.code(answer.status).headers({ ...r.headers, 'facebook-api-version': version, 'content-type': JSON_TYPE }).send(JSON.stringify(r.body));
      } else {
        await reply.code(answer.status).headers({ 'content-type': answer.contentType, 'facebook-api-version': version }).send(answer.body);
      }
      return true;
    }
    switch (fault.kind) {
      case 'reset':
        reply.hijack();
        req.raw.socket.destroy();
        return true;
      case 'timeout':
        if (fault.delayMs !== undefined) {
          await new Promise((r) => setTimeout(r, fault.delayMs).unref());
          return false;
        }
        // Never answer: the socket is destroyed when the emulator closes.
        reply.hijack();
        hung.add(req);
        return true;
      default:
        return false;
    }
  }

  async function graphRoute(req: FastifyRequest, reply: FastifyReply) {
    const url = req.url;
    const q = url.indexOf('?');
    let path = decodeURIComponent(q < 0 ? url.slice(1) : url.slice(1, q));
    let requested: string | undefined;
    const slash = path.indexOf('/');
    const firstSeg = slash < 0 ? path : path.slice(0, slash);
    if (VERSION_RE.test(firstSeg)) {
      requested = firstSeg;
      path = slash < 0 ? '' : path.slice(slash + 1);
    }
    const version = requested ? servedVersion(requested) : DEFAULT_VERSION;
    const fault = faults.pick(url.slice(0, q < 0 ? url.length : q));
    if (fault && (await applyFault(fault, req, reply, version))) return reply;

    const host = req.headers.host ?? '127.0.0.1';
    const origin = `http://${host}`;
    if (path === 'dialog/oauth' || path === 'dialog/oauth/') return dialog(req, reply, version, origin);
    if (path === 'dialog/oauth/confirm') return dialogConfirm(req, reply.header('facebook-api-version', version));

    const query = req.query as Record<string, unknown>;
    const body = bodyParams(req.body);
    const params = body === req.body || Object.keys(body).length ? { ...query, ...body } : query;
    // Facebook sends the verification GET to callback_url during POST /{app-id}/subscriptions
    // and refuses the subscription when it is not answered with the challenge.
    if (req.method === 'POST' && path.replace(/\/+$/, '') === `${state.app.id}/subscriptions`) {
      const refused = await verifySubscription(params, req.headers.authorization);
      if (refused) return reply.code(refused.status).headers({ ...refused.headers, 'facebook-api-version': version, 'content-type': JSON_TYPE }).send(JSON.stringify(refused.body));
    }
    const result = graph.handle({
      method: req.method,
      path: path.endsWith('/') ? path.slice(0, -1) : path,
      version,
      params,
      authorization: req.headers.authorization,
      origin,
    });
    result.headers['facebook-api-version'] = version;
    result.headers['content-type'] = JSON_TYPE;
    return reply.code(result.status).headers(result.headers).send(JSON.stringify(result.body));
  }

  /** The verification of a subscription POST made with the app token; its Graph error when the callback does not pass. */
  async function verifySubscription(params: Record<string, unknown>, authorization: string | undefined) {
    const token = typeof params.access_token === 'string' ? params.access_token : authorization?.replace(/^(bearer|oauth)\s+/i, '');
    if (!token || !state.isAppToken(token)) return undefined;
    const checked = subscriptions.checkPost(params);
    if ('code' in checked) return undefined;
    const problem = await verifyEndpoint(checked.callbackUrl, checked.verifyToken);
    // Code and wording as reported by developers; not in Meta's error reference (unverified).
    return problem ? errorResult({ code: 2200, message: `(#2200) callback verification failed: ${problem}` }) : undefined;
  }

  function dialog(req: FastifyRequest, reply: FastifyReply, version: string, origin: string) {
    const q = req.query as DialogQuery;
    // A Business app: no dialog without config_id; with one, the configuration's permissions replace `scope`.
    const gate = business.dialogGate(q);
    if (!gate.ok) return reply.code(gate.status).headers({ 'content-type': 'text/html; charset=utf-8', 'facebook-api-version': version }).send(messagePage(gate.title, gate.text));
    const shown = gate.config ? { ...q, scope: gate.config.permissions.join(',') } : q;
    const r = renderDialog(state, shown, version, `${origin}/${version}/dialog/oauth/confirm`);
    return reply.code(r.status).headers({ 'content-type': 'text/html; charset=utf-8', 'facebook-api-version': version }).send(r.html);
  }

  function dialogConfirm(req: FastifyRequest, reply: FastifyReply) {
    const f = bodyParams(req.body) as Record<string, string | string[] | undefined>;
    const one = (k: string) => (Array.isArray(f[k]) ? (f[k] as string[])[0] : (f[k] as string | undefined));
    const redirectUri = one('redirect_uri');
    const user = state.users.get(one('user_id') ?? '');
    if (one('client_id') !== state.app.id || !redirectUri || !user) return reply.code(400).header('content-type', 'text/html').send('<p>Invalid login request.</p>');
    const st = one('state');
    const withState = (p: Record<string, string>) => (st === undefined ? p : { ...p, state: st });
    if (one('action') !== 'continue') {
      return reply.redirect(dialogRedirect(redirectUri, withState({ error_reason: 'user_denied', error: 'access_denied', error_description: 'Permissions error.' })), 302);
    }
    const pagesRaw = f.page;
    const pageIds = (Array.isArray(pagesRaw) ? pagesRaw : pagesRaw ? [pagesRaw] : []).filter((id) => user.roles.has(id));
    const config = business.configOf(one('config_id'));
    const scopes = config ? config.permissions : (one('scope') ?? '').split(',').filter(Boolean);
    // Logging in is activity: it renews data access and grants what the person accepted.
    user.lastActivityMs = now();
    if (scopes.length) user.scopes = [...new Set([...user.scopes, ...scopes])];
    user.grantedPageIds = pageIds.length === user.roles.size ? null : pageIds;
    const code = graph.createLoginCode(user.id, redirectUri, config?.id);
    return reply.redirect(dialogRedirect(redirectUri, withState({ code })), 302);
  }

  app.all('/', graphRoute);
  app.all('/*', graphRoute);
  app.addHook('onClose', async () => {
    for (const req of hung) req.raw.socket.destroy();
    hung.clear();
  });

  return { app, state, now, seeded };
}
