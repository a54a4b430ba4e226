/**
 * The dashboard's operations console: Page detail, the outbox browser and message detail, the
 * audit log, and their actions. Registered by dashboardRoutes, so the same admin session, CSRF
 * token, browser request guard (Sec-Fetch-Site / Origin on every POST) and security headers
 * apply. A destructive action (remove a Page, retry, cancel) is a GET of a confirmation page
 * first; its POST needs the CSRF token and `confirm=yes`. Every action is also in the REST API
 * and the CLI (docs/operations-console.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isPageKeeperError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../store/outbox-repository.js';
import type { ConsolePort, ServiceDeps } from '../deps.js';
import { eventsPage } from '../dashboard/events.js';
import { html } from '../dashboard/html.js';
import { messageDetailPage, messagesPage, nameKey, WITHIN, type Within } from '../dashboard/messages.js';
import { namesOf as lookUpNames } from '../dashboard/person-names.js';
import { confirmPage, pageDetailPage } from '../dashboard/page-detail.js';
import { messagePage } from '../dashboard/pages.js';
import { PageIdSchema } from './api-routes.js';

const HTML = 'text/html; charset=utf-8';
const PAGE_EVENTS = 15;
const LIST_LIMIT = 50;
const MessageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/);

export interface ConsoleDashboardOptions {
  deps: ServiceDeps;
  /** The session when the request may see the dashboard; otherwise the reply is sent (login redirect) and null returned. */
  signIn(request: FastifyRequest, reply: FastifyReply): Promise<string | null>;
  /** For POSTs: the session when it is valid and the CSRF token matches; otherwise the refusal is sent and null returned. */
  checkPost(request: FastifyRequest, reply: FastifyReply): Promise<string | null>;
  csrfFor(session: string): string;
  signedIn: boolean;
  /** Optional chart markup for a Page's detail (inline SVG with a text alternative). */
  pageCharts?(pageId: string): Promise<string | undefined> | string | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function consoleDashboardRoutes(app: FastifyInstance, opts: ConsoleDashboardOptions): Promise<void> {
  const { deps } = opts;

  const consoleOr503 = (reply: FastifyReply): ConsolePort | null => {
    if (deps.console) return deps.console;
    void reply.code(503).type(HTML).send(messagePage('Not available', 'This service runs without the operations console.', { testid: 'console-missing', error: true }));
    return null;
  };
  const fail = (reply: FastifyReply, e: unknown, title: string) => {
    const pk = isGraphError(e) ? e.toPageKeeperError() : isPageKeeperError(e) ? e : null;
    if (!pk) throw e;
    return reply.code(pk.status).type(HTML).send(messagePage(title, pk.message, { testid: 'action-failed', error: true, ...(pk.fix ? { fix: pk.fix } : {}) }));
  };
  const notFound = (reply: FastifyReply, what: string) => reply.code(404).type(HTML).send(messagePage(`${what} not found`, `No such ${what.toLowerCase()} is known here.`, { testid: 'not-found', error: true }));
  const connectedPages = async () => (await deps.pages.list()).filter((p) => p.removedAt === null).map((p) => ({ id: p.id, name: p.name }));
  const namesOf = async (pairs: ReadonlyArray<{ pageId: string; psid: string }>) => {
    const out = new Map<string, string>();
    if (deps.people) {
      // Every distinct person looked up at once, each for at most a short wait (person-names.ts).
      const known = await lookUpNames(deps.people, pairs);
      for (const { pageId, psid } of pairs) {
        const name = known.get(`${pageId}:${psid}`);
        if (name !== undefined) out.set(nameKey(pageId, psid), name);
      }
      return out;
    }
    if (!deps.nameOf) return out;
    for (const { pageId, psid } of pairs) {
      const k = nameKey(pageId, psid);
      if (out.has(k)) continue;
      const name = await deps.nameOf(pageId, psid);
      if (name !== undefined) out.set(k, name);
    }
    return out;
  };
  const within = (v: unknown): Within | undefined => (typeof v === 'string' && v in WITHIN ? (v as Within) : undefined);

  // ---- Page detail ----
  app.get('/pages/:id', async (request, reply) => {
    const s = await opts.signIn(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    if (!id.success) return notFound(reply, 'Page');
    const page = await deps.pages.get(id.data);
    if (!page || page.removedAt !== null) return notFound(reply, 'Page');
    const q = request.query as Record<string, unknown>;
    const [owners, openWindows, events, charts] = await Promise.all([
      c.owners(page.tokens.map((t) => t.userId)),
      c.openWindows(page.id),
      c.events({ pageId: page.id, limit: PAGE_EVENTS }),
      opts.pageCharts?.(page.id),
    ]);
    const notice =
      q.checked === '1' ? 'Check finished.' : q.resubscribed === '1' ? 'Subscribed to webhooks again.' : q.resubscribed === '0' ? 'Facebook did not accept the subscription; see Webhooks below.' : undefined;
    return reply.type(HTML).send(
      pageDetailPage({ page, owners, openWindows, events, now: new Date(deps.now()), csrf: opts.csrfFor(s), signedIn: opts.signedIn, ...(notice ? { notice } : {}), ...(charts ? { charts } : {}) }),
    );
  });

  app.post('/pages/:id/resubscribe', async (request, reply) => {
    const s = await opts.checkPost(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    if (!id.success) return notFound(reply, 'Page');
    try {
      const page = await c.resubscribe(id.data);
      return reply.redirect(`/pages/${id.data}?resubscribed=${page.subscription.subscribed ? '1' : '0'}`, 303);
    } catch (e) {
      return fail(reply, e, 'Re-subscribe failed');
    }
  });

  app.get('/pages/:id/remove', async (request, reply) => {
    const s = await opts.signIn(request, reply);
    if (s === null) return reply;
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    const page = id.success ? await deps.pages.get(id.data) : undefined;
    if (!page || page.removedAt !== null) return notFound(reply, 'Page');
    return reply.type(HTML).send(
      confirmPage({
        title: `Remove ${page.name}?`,
        what: html`<p>pagekeeper will cancel this Page's waiting messages (queued or held), unsubscribe it from webhooks, and delete its ${page.tokens.length} stored token${page.tokens.length === 1 ? '' : 's'}.</p><p>Apps that ask pagekeeper for its token get "not connected" from then on. To bring the Page back, connect a person who manages it again.</p>`,
        action: `/pages/${page.id}/remove`,
        button: 'Remove the Page',
        csrf: opts.csrfFor(s),
        back: `/pages/${page.id}`,
        signedIn: opts.signedIn,
        testid: 'confirm-remove',
      }),
    );
  });

  app.post('/pages/:id/remove', async (request, reply) => {
    const s = await opts.checkPost(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const id = PageIdSchema.safeParse((request.params as { id?: unknown }).id);
    if (!id.success) return notFound(reply, 'Page');
    if ((request.body as Record<string, unknown> | undefined)?.confirm !== 'yes') return reply.redirect(`/pages/${id.data}/remove`, 303);
    try {
      const r = await c.removePage(id.data);
      return reply.redirect(`/?removed=${r.pageId}`, 303);
    } catch (e) {
      return fail(reply, e, 'Remove failed');
    }
  });

  // ---- Outbox browser ----
  app.get('/messages', async (request, reply) => {
    const s = await opts.signIn(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const q = request.query as Record<string, unknown>;
    const status = str(q.status) !== undefined && (OUTBOX_STATUSES as readonly string[]).includes(q.status as string) ? (q.status as OutboxStatus) : undefined;
    const pageId = str(q.pageId) !== undefined && PageIdSchema.safeParse(q.pageId).success ? (q.pageId as string) : undefined;
    const w = within(q.within);
    const before = str(q.before) !== undefined && MessageIdSchema.safeParse(q.before).success ? (q.before as string) : undefined;
    const messages = await c.messages({
      ...(status ? { status } : {}),
      ...(pageId ? { pageId } : {}),
      ...(w ? { since: new Date(deps.now() - WITHIN[w]) } : {}),
      ...(before ? { before } : {}),
      limit: LIST_LIMIT,
    });
    const [pages, names] = await Promise.all([connectedPages(), namesOf(messages)]);
    const notice = q.cancelled === '1' ? 'Message cancelled.' : undefined;
    return reply.type(HTML).send(
      messagesPage({
        messages,
        names,
        pages,
        filter: { ...(status ? { status } : {}), ...(pageId ? { pageId } : {}), ...(w ? { within: w } : {}) },
        next: messages.length === LIST_LIMIT ? (messages[messages.length - 1]?.id ?? null) : null,
        csrf: opts.csrfFor(s),
        signedIn: opts.signedIn,
        ...(notice ? { notice } : {}),
      }),
    );
  });

  app.get('/messages/:id', async (request, reply) => {
    const s = await opts.signIn(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const id = MessageIdSchema.safeParse((request.params as { id?: unknown }).id);
    const message = id.success ? await c.message(id.data) : undefined;
    if (!message) return notFound(reply, 'Message');
    const [page, names] = await Promise.all([deps.pages.get(message.pageId), namesOf([message])]);
    const q = request.query as Record<string, unknown>;
    const notice = q.retried === '1' ? 'Retry queued: this is the new message.' : q.retried === 'again' ? 'This message had been retried already: this is that retry.' : q.cancelled === '1' ? 'Message cancelled: it will not be sent.' : undefined;
    return reply.type(HTML).send(
      messageDetailPage({ message, pageName: page?.name, name: names.get(nameKey(message.pageId, message.psid)), csrf: opts.csrfFor(s), signedIn: opts.signedIn, ...(notice ? { notice } : {}) }),
    );
  });

  for (const action of ['retry', 'cancel'] as const) {
    app.get(`/messages/:id/${action}`, async (request, reply) => {
      const s = await opts.signIn(request, reply);
      if (s === null) return reply;
      const c = consoleOr503(reply);
      if (!c) return reply;
      const id = MessageIdSchema.safeParse((request.params as { id?: unknown }).id);
      const m = id.success ? await c.message(id.data) : undefined;
      if (!m) return notFound(reply, 'Message');
      const to = html`to ${m.psid}${m.preview ? html` (“${m.preview}”)` : ''}`;
      return reply.type(HTML).send(
        confirmPage(
          action === 'retry'
            ? {
                title: 'Retry this message?',
                what: html`<p>pagekeeper will queue a new message ${to} with the same content and a new idempotency key. This message (${m.status}) is kept and linked to the new one.</p>${
                  m.status === 'unknown' ? html`<p>Its fate is unknown: Facebook may have delivered it, so the person could get it twice.</p>` : ''
                }`,
                action: `/messages/${m.id}/retry`,
                button: 'Retry the message',
                csrf: opts.csrfFor(s),
                back: `/messages/${m.id}`,
                signedIn: opts.signedIn,
                testid: 'confirm-retry',
              }
            : {
                title: 'Cancel this message?',
                what: html`<p>The message ${to} will not be sent. This cannot be undone; send a new message if you change your mind.</p>`,
                action: `/messages/${m.id}/cancel`,
                button: 'Cancel the message',
                csrf: opts.csrfFor(s),
                back: `/messages/${m.id}`,
                signedIn: opts.signedIn,
                testid: 'confirm-cancel',
              },
        ),
      );
    });

    app.post(`/messages/:id/${action}`, async (request, reply) => {
      const s = await opts.checkPost(request, reply);
      if (s === null) return reply;
      const c = consoleOr503(reply);
      if (!c) return reply;
      const id = MessageIdSchema.safeParse((request.params as { id?: unknown }).id);
      if (!id.success) return notFound(reply, 'Message');
      if ((request.body as Record<string, unknown> | undefined)?.confirm !== 'yes') return reply.redirect(`/messages/${id.data}/${action}`, 303);
      try {
        if (action === 'retry') {
          const r = await c.retry(id.data);
          return reply.redirect(`/messages/${r.id}?retried=${r.duplicate ? 'again' : '1'}`, 303);
        }
        await c.cancel(id.data);
        return reply.redirect(`/messages/${id.data}?cancelled=1`, 303);
      } catch (e) {
        if (isPageKeeperError(e, 'PK_NOT_FOUND')) return notFound(reply, 'Message');
        return fail(reply, e, action === 'retry' ? 'Retry refused' : 'Cancel refused');
      }
    });
  }

  // ---- Audit log ----
  app.get('/events', async (request, reply) => {
    const s = await opts.signIn(request, reply);
    if (s === null) return reply;
    const c = consoleOr503(reply);
    if (!c) return reply;
    const q = request.query as Record<string, unknown>;
    const pageId = str(q.pageId) !== undefined && PageIdSchema.safeParse(q.pageId).success ? (q.pageId as string) : undefined;
    const event = str(q.event) !== undefined && /^[a-z_.]{1,64}$/.test(q.event as string) ? (q.event as string) : undefined;
    const w = within(q.within);
    const beforeId = str(q.before) !== undefined && /^\d{1,15}$/.test(q.before as string) ? Number(q.before) : undefined;
    const [events, kinds, pages] = await Promise.all([
      c.events({ ...(pageId ? { pageId } : {}), ...(event ? { event } : {}), ...(w ? { since: new Date(deps.now() - WITHIN[w]) } : {}), ...(beforeId ? { beforeId } : {}), limit: LIST_LIMIT }),
      c.eventKinds(),
      connectedPages(),
    ]);
    return reply.type(HTML).send(
      eventsPage({
        events,
        kinds,
        pages,
        filter: { ...(pageId ? { pageId } : {}), ...(event ? { event } : {}), ...(w ? { within: w } : {}) },
        next: events.length === LIST_LIMIT ? (events[events.length - 1]?.id ?? null) : null,
        csrf: opts.csrfFor(s),
        signedIn: opts.signedIn,
      }),
    );
  });
}
