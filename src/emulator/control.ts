/**
 * The control API under /_emulator: what a test or demo uses to shape the emulated world
 * (users, pages, events, clock, faults, limits, webhooks, inbound messages). JSON in and
 * out; bad input is a 400 naming what is wrong. Documented in docs/emulator.md.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Faults } from './faults.js';
import { FAULT_KINDS } from './faults.js';
import type { Graph } from './graph.js';
import { errorResult } from './graph-error.js';
import { versionOfUrl } from './graph.js';
import { messageId, numericId } from './ids.js';
import type { Limits } from './limits.js';
import type { EmulatorState, Page, User } from './state.js';
import { ALL_TASKS } from './state.js';
import { PAGE_WEBHOOK_FIELDS, type Subscriptions } from './subscriptions.js';
import type { DeliveryResult, RetryPolicy } from './webhooks.js';
import { APP_ROLES } from './app-mode.js';
import { registerMessagingControl } from './control-messaging.js';
import { registerInstagramControl } from './instagram.js';
import { DEFAULT_RETRY, deliverEvent, deliverSignedRequest, verifyEndpoint } from './webhooks.js';

const taskList = z.array(z.enum(ALL_TASKS)).optional();
/** A linked Instagram professional account (instagram.ts). */
const instagramRef = z
  .object({ username: z.string().regex(/^[A-Za-z0-9._]{1,30}$/, 'must be an Instagram username (letters, digits, . and _)'), id: z.string().regex(/^\d+$/).optional(), link: z.enum(['business', 'connected']).optional() })
  .strict()
  .optional();
const pageRef = z.union([
  z
    .object({
      id: z.string().regex(/^\d+$/, 'must be a numeric page id'),
      name: z.string().min(1).optional(),
      tasks: taskList,
      category: z.string().optional(),
      subscribed: z.boolean().optional(),
      instagram: instagramRef,
    })
    .strict(),
  z.object({ name: z.string().min(1), tasks: taskList, category: z.string().optional(), subscribed: z.boolean().optional(), instagram: instagramRef }).strict(),
]);

export const userInput = z
  .object({
    id: z.string().regex(/^\d+$/).optional(),
    name: z.string().min(1),
    pages: z.array(pageRef).default([]),
    scopes: z.array(z.string().min(1)).optional(),
    businessPages: z.array(z.intersection(pageRef, z.object({ relation: z.enum(['owned', 'client']).optional() }))).optional(),
  })
  .strict();

export const seedInput = z
  .object({
    app: z.object({ id: z.string().regex(/^\d+$/).optional(), secret: z.string().min(8).optional(), name: z.string().min(1).optional() }).strict().optional(),
    users: z.array(userInput).optional(),
  })
  .strict();

const tokenInput = z.object({ scopes: z.array(z.string().min(1)).optional() }).strict();
const eventInput = z
  .object({ type: z.enum(['password_changed', 'app_removed', 'logged_out', 'checkpoint', 'page_role_removed']), pageId: z.string().optional() })
  .strict()
  .refine((e) => e.type !== 'page_role_removed' || e.pageId, { message: 'pageId is required for page_role_removed', path: ['pageId'] });
const clockInput = z.object({ advanceSeconds: z.number().finite() }).strict();
const faultInput = z
  .object({
    match: z.string(),
    kind: z.enum(FAULT_KINDS),
    count: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    delayMs: z.number().int().nonnegative().optional(),
  })
  .strict();
const limitsInput = z
  .object({
    enabled: z.boolean().optional(),
    pageId: z.string().optional(),
    sendPerSecond: z.number().int().positive().optional(),
    pageCallsPerWindow: z.number().int().positive().optional(),
    windowSeconds: z.number().int().positive().optional(),
    appCallsPerWindow: z.number().int().positive().optional(),
  })
  .strict();
const webhookInput = z
  .object({
    url: z.url(),
    verifyToken: z.string().min(1),
    deauthorizeUrl: z.url().optional(),
    dataDeletionUrl: z.url().optional(),
    maxAttempts: z.number().int().min(1).max(10).optional(),
    retryDelayMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();
const conversationInput = z.object({ available: z.boolean() }).strict();
/** Deliveries kept for GET /_emulator/webhook: enough to inspect a test, bounded for long runs. */
const DELIVERIES_KEPT = 100;
/** A data-deletion signed_request says how long it stays valid (Facebook's example: issued_at + 3600). */
const DELETION_REQUEST_LIFETIME_S = 3600;
const inboundInput = z.object({ psid: z.string().regex(/^\d+$/).optional(), text: z.string().min(1), role: z.enum(APP_ROLES).nullable().optional() }).strict();

export interface ControlDeps {
  state: EmulatorState;
  graph: Graph;
  subscriptions: Subscriptions;
  limits: Limits;
  faults: Faults;
  now: () => number;
  advance: (seconds: number) => void;
}

export interface WebhookConfig {
  url: string;
  verifyToken: string;
  deauthorizeUrl?: string | undefined;
  dataDeletionUrl?: string | undefined;
  retry: RetryPolicy;
}

interface DeliveryRecord extends DeliveryResult {
  kind: 'messages' | 'deauthorize' | 'data_deletion';
  url: string;
}

export class BadInput extends Error {}

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadInput(z.prettifyError(r.error).replace(/\n/g, '; '));
  return r.data;
}

export function publicUser(state: EmulatorState, user: User, token: string) {
  return {
    id: user.id,
    name: user.name,
    shortLivedToken: token,
    pages: [...user.roles].map(([id, tasks]) => pageView(state.pages.get(id)!, tasks)),
  };
}

/** A Page as the control API shows it; `instagram` only when an account is linked. */
function pageView(page: Page, tasks: string[]) {
  const ig = page.instagram;
  return { id: page.id, name: page.name, tasks, ...(ig ? { instagram: { id: ig.id, username: ig.username, link: ig.link } } : {}) };
}

export function registerControl(app: FastifyInstance, deps: ControlDeps) {
  const { state, graph, limits, faults, subscriptions } = deps;
  let webhook: WebhookConfig | undefined;
  const deliveries: DeliveryRecord[] = [];
  const record = (kind: DeliveryRecord['kind'], url: string, result: DeliveryResult) => {
    deliveries.push({ kind, url, ...result });
    if (deliveries.length > DELIVERIES_KEPT) deliveries.shift();
    return result;
  };

  const subscriptionView = () => {
    const sub = subscriptions.get('page');
    return sub ? { callbackUrl: sub.callbackUrl, fields: sub.fields, active: sub.active } : null;
  };

  const userOr404 = (id: string, reply: FastifyReply): User | undefined => {
    const u = state.users.get(id);
    if (!u) void reply.code(404).send({ error: `no user with id ${id}` });
    return u;
  };
  const pageOr404 = (id: string, reply: FastifyReply): Page | undefined => {
    const p = state.pages.get(id);
    if (!p) void reply.code(404).send({ error: `no page with id ${id}` });
    return p;
  };

  // A web page open in the developer's browser can reach 127.0.0.1 too: the control API answers
  // no cross-site browser request (Origin or Sec-Fetch-Site say where it comes from), and a body
  // must be JSON, which a cross-site form or `fetch` cannot send without a CORS preflight that
  // this server never grants.
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.url.startsWith('/_emulator')) return done();
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const crossSite = (typeof site === 'string' && site !== 'same-origin' && site !== 'none') || (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`);
    if (crossSite) return void reply.code(403).send({ error: 'the emulator control API refuses cross-site browser requests' });
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (req.method !== 'GET' && hasBody && type !== 'application/json') return void reply.code(415).send({ error: 'the emulator control API takes JSON bodies only (Content-Type: application/json)' });
    done();
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof BadInput) return reply.code(400).send({ error: err.message });
    const message = err instanceof Error ? err.message : String(err);
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (req.url.startsWith('/_emulator')) return reply.code(status >= 400 && status < 500 ? status : 500).send({ error: message });
    // A Graph request Fastify refused before routing (unparsable JSON body, body too large): still a Graph error,
    // with fbtrace_id, WWW-Authenticate and Facebook-API-Version like every other.
    const r =
      status >= 400 && status < 500
        ? errorResult({ code: 100, message: `(#100) ${message}` })
        : errorResult({ code: 1, message: 'An unknown error has occurred.', status: 500 });
    return reply
      .code(r.status)
      .headers({ ...r.headers, 'facebook-api-version': versionOfUrl(req.url, deps.now()), 'content-type': 'application/json; charset=UTF-8' })
      .send(JSON.stringify(r.body));
  });

  app.get('/_emulator', async () => ({
    app: { id: state.app.id, name: state.app.name },
    users: state.userOrder.length,
    pages: state.pages.size,
    now: Math.floor(deps.now() / 1000),
  }));

  app.post('/_emulator/users', async (req) => {
    const input = parse(userInput, req.body);
    for (const p of input.pages) if ('id' in p && !state.pages.has(p.id)) throw new BadInput(`pages: no page with id ${p.id}; give a name to create a new page`);
    const { user, token } = state.addUser(input);
    return publicUser(state, user, token.value);
  });

  app.get('/_emulator/users', async () => ({
    data: state.userOrder.map((id) => {
      const u = state.users.get(id)!;
      return { id: u.id, name: u.name, scopes: u.scopes, pages: [...u.roles].map(([pid, tasks]) => pageView(state.pages.get(pid)!, tasks)) };
    }),
  }));

  app.post<{ Params: { id: string } }>('/_emulator/users/:id/short-lived-token', async (req, reply) => {
    const user = userOr404(req.params.id, reply);
    if (!user) return reply;
    const input = parse(tokenInput, req.body);
    const rec = state.login(user, input.scopes);
    return { accessToken: rec.value, expiresIn: Math.round((rec.expiresAtMs - rec.issuedAtMs) / 1000) };
  });

  app.post<{ Params: { id: string } }>('/_emulator/users/:id/events', async (req, reply) => {
    const user = userOr404(req.params.id, reply);
    if (!user) return reply;
    const input = parse(eventInput, req.body);
    if (input.type === 'page_role_removed' && !state.tasksOn(user, input.pageId!)) throw new BadInput(`pageId: user ${user.id} has no role on page ${input.pageId}`);
    state.applyEvent(user, input.type, input.pageId);
    return { ok: true, type: input.type };
  });

  app.post<{ Params: { id: string } }>('/_emulator/users/:id/deauthorize', async (req, reply) => {
    const user = userOr404(req.params.id, reply);
    if (!user) return reply;
    if (!webhook?.deauthorizeUrl) throw new BadInput('no deauthorizeUrl is configured: PUT /_emulator/webhook with {"url","verifyToken","deauthorizeUrl"} first');
    // The callback fires because the person removed the app, so their tokens stop working too.
    state.applyEvent(user, 'app_removed');
    const result = await deliverSignedRequest(
      webhook.deauthorizeUrl,
      state.app.secret,
      { user_id: user.id, algorithm: 'HMAC-SHA256', issued_at: Math.floor(deps.now() / 1000) },
      deps.now,
    );
    record('deauthorize', webhook.deauthorizeUrl, result);
    return { delivered: result.delivered, ...(result.status !== undefined ? { status: result.status } : {}), ...(result.error ? { error: result.error } : {}) };
  });

  // The data-deletion callback (docs/graph-api.md "Webhooks"): signed_request with `expires` as well; the app must
  // answer {"url":"<status page>","confirmation_code":"<code>"}.
  app.post<{ Params: { id: string } }>('/_emulator/users/:id/data-deletion', async (req, reply) => {
    const user = userOr404(req.params.id, reply);
    if (!user) return reply;
    if (!webhook?.dataDeletionUrl) throw new BadInput('no dataDeletionUrl is configured: PUT /_emulator/webhook with {"url","verifyToken","dataDeletionUrl"} first');
    // The person removed the app and asked for their data to be deleted: their tokens stop working too.
    state.applyEvent(user, 'app_removed');
    const issuedAt = Math.floor(deps.now() / 1000);
    const result = await deliverSignedRequest(
      webhook.dataDeletionUrl,
      state.app.secret,
      { algorithm: 'HMAC-SHA256', expires: issuedAt + DELETION_REQUEST_LIFETIME_S, issued_at: issuedAt, user_id: user.id },
      deps.now,
    );
    record('data_deletion', webhook.dataDeletionUrl, result);
    const out: Record<string, unknown> = { delivered: result.delivered };
    if (result.status !== undefined) out.status = result.status;
    if (result.error) out.error = result.error;
    if (result.delivered) {
      const answer = deletionAnswer.safeParse(safeJson(result.answer));
      out.valid = answer.success;
      if (answer.success) out.answer = { url: answer.data.url, confirmation_code: answer.data.confirmation_code };
      else out.problem = `the callback must answer {"url":"<status page>","confirmation_code":"<code>"}; it answered ${JSON.stringify((result.answer ?? '').slice(0, 200))}`;
    }
    return out;
  });

  app.post('/_emulator/clock', async (req) => {
    const input = parse(clockInput, req.body);
    deps.advance(input.advanceSeconds);
    return { now: Math.floor(deps.now() / 1000) };
  });
  app.get('/_emulator/clock', async () => ({ now: Math.floor(deps.now() / 1000) }));

  app.post('/_emulator/faults', async (req) => faults.add(parse(faultInput, req.body)));
  app.get('/_emulator/faults', async () => ({ data: faults.list() }));
  app.delete('/_emulator/faults', async () => {
    faults.clear();
    return { ok: true };
  });

  app.put('/_emulator/limits', async (req) => {
    const input = parse(limitsInput, req.body);
    // An Instagram account id sets the limits of that account's sends.
    if (input.pageId && !state.pages.has(input.pageId) && !state.instagramAccounts.has(input.pageId)) throw new BadInput(`pageId: no page or Instagram account with id ${input.pageId}`);
    return limits.configure(input);
  });
  app.get('/_emulator/limits', async () => limits.configure({}));

  app.put('/_emulator/webhook', async (req) => {
    const input = parse(webhookInput, req.body);
    const problem = await verifyEndpoint(input.url, input.verifyToken);
    if (problem) throw new BadInput(`webhook verification failed: ${problem}`);
    webhook = {
      url: input.url,
      verifyToken: input.verifyToken,
      deauthorizeUrl: input.deauthorizeUrl,
      dataDeletionUrl: input.dataDeletionUrl,
      retry: { maxAttempts: input.maxAttempts ?? DEFAULT_RETRY.maxAttempts, firstDelayMs: input.retryDelayMs ?? DEFAULT_RETRY.firstDelayMs },
    };
    // The app-level `page` subscription, with every Page field, as if set up in the App Dashboard.
    subscriptions.remove({ object: 'page' });
    subscriptions.set({ object: 'page', callbackUrl: input.url, verifyToken: input.verifyToken, fields: [...PAGE_WEBHOOK_FIELDS] });
    return { ok: true, url: input.url };
  });
  app.get('/_emulator/webhook', async () => ({
    configured: webhook !== undefined,
    ...(webhook
      ? {
          url: webhook.url,
          ...(webhook.deauthorizeUrl ? { deauthorizeUrl: webhook.deauthorizeUrl } : {}),
          ...(webhook.dataDeletionUrl ? { dataDeletionUrl: webhook.dataDeletionUrl } : {}),
          maxAttempts: webhook.retry.maxAttempts,
          retryDelayMs: webhook.retry.firstDelayMs,
        }
      : {}),
    subscription: subscriptionView(),
    deliveries: deliveries.map(({ answer: _a, ...d }) => d),
  }));
  app.delete('/_emulator/webhook', async () => {
    webhook = undefined;
    subscriptions.remove({ object: 'page' });
    return { ok: true };
  });

  app.post<{ Params: { id: string; psid: string } }>('/_emulator/pages/:id/conversations/:psid', async (req, reply) => {
    const page = pageOr404(req.params.id, reply);
    if (!page) return reply;
    const input = parse(conversationInput, req.body);
    const person = page.psids.get(req.params.psid);
    if (!person) return reply.code(404).send({ error: `no conversation with psid ${req.params.psid} on page ${page.id}: POST /_emulator/pages/${page.id}/inbound first` });
    person.available = input.available;
    return { psid: req.params.psid, available: input.available };
  });

  app.post<{ Params: { id: string } }>('/_emulator/pages/:id/inbound', async (req, reply) => {
    const page = pageOr404(req.params.id, reply);
    if (!page) return reply;
    const input = parse(inboundInput, req.body);
    const psid = input.psid ?? numericId(16);
    const t = deps.now();
    const person = page.psids.get(psid);
    if (person) person.lastInboundMs = t;
    else page.psids.set(psid, { lastInboundMs: t });
    if (input.role !== undefined) state.appMode.setRole(psid, input.role);
    const mid = messageId();
    state.conversations.recordInbound(page.id, psid, mid, input.text, t);
    let delivery: DeliveryResult | undefined;
    // Delivered only when the app subscription and the Page's subscription both carry `messages`.
    const target = subscriptions.target(page, 'messages');
    if ('url' in target) {
      const payload = {
        object: 'page',
        entry: [{ id: page.id, time: t, messaging: [{ sender: { id: psid }, recipient: { id: page.id }, timestamp: t, message: { mid, text: input.text } }] }],
      };
      delivery = record('messages', target.url, await deliverEvent(target.url, state.app.secret, payload, webhook?.retry ?? DEFAULT_RETRY, deps.now));
      subscriptions.recordDelivery(target.subscription, delivery.delivered);
    }
    return {
      psid,
      mid,
      delivered: delivery?.delivered ?? false,
      ...('skipped' in target ? { notDelivered: target.skipped } : {}),
      ...(delivery?.status !== undefined ? { webhookStatus: delivery.status } : {}),
      ...(delivery ? { attempts: delivery.attempts } : {}),
    };
  });

  app.get<{ Params: { id: string } }>('/_emulator/pages/:id/subscription', async (req, reply) => {
    const page = pageOr404(req.params.id, reply);
    if (!page) return reply;
    return { subscribedFields: page.subscribedFields };
  });
  // Facebook unsubscribing the app from a Page on its own (as it does after an hour of failed deliveries).
  app.delete<{ Params: { id: string } }>('/_emulator/pages/:id/subscription', async (req, reply) => {
    const page = pageOr404(req.params.id, reply);
    if (!page) return reply;
    page.subscribedFields = null;
    return { subscribedFields: null };
  });

  app.get<{ Params: { id: string } }>('/_emulator/pages/:id/messages', async (req, reply) => {
    const page = pageOr404(req.params.id, reply);
    if (!page) return reply;
    return { data: state.sentInOrder(page) };
  });

  registerMessagingControl(app, {
    state,
    now: deps.now,
    retry: () => webhook?.retry ?? DEFAULT_RETRY,
    target: (page, field) => subscriptions.target(page, field),
    delivered: (target, result) => {
      record('messages', target.url, result);
      subscriptions.recordDelivery(target.subscription, result.delivered);
    },
    parse,
  });
  registerInstagramControl(app, { state, now: deps.now, webhook: () => webhook, record: (url, result) => record('messages', url, result), parse });

  app.get('/_emulator/stats', async () => graph.stats());
  app.post('/_emulator/stats/reset', async () => {
    graph.resetStats();
    return graph.stats();
  });

  app.all('/_emulator/*', async (req, reply) => reply.code(404).send({ error: `no control endpoint ${req.method} ${req.url.split('?')[0]}; see docs/emulator.md` }));
}

const deletionAnswer = z.object({ url: z.string().min(1), confirmation_code: z.string().min(1) });

function safeJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
