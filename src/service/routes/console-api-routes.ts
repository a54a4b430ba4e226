/**
 * The operations console's actions over REST (docs/service.md), with the same rules as the
 * dashboard and the CLI: browse the outbox, a message's history, retry a failed or unknown
 * message (a new linked message), cancel a waiting one, remove a Page, subscribe it to webhooks
 * again, and read the audit log.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import { OUTBOX_STATUSES } from '../../store/outbox-repository.js';
import type { ConsolePort, ServiceDeps } from '../deps.js';
import { apiRoute, type AnyApiRoute } from '../server/route-table.js';
import { pageVisibleTo, reachOf, requireVisible } from '../tenants/reach.js';
import { PageIdSchema, PageResponseSchema, pageJson } from './api-routes.js';

const Iso = z.string().describe('ISO 8601 time');
const MessageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a message id as returned by POST /v1/pages/{id}/messages');
const TimeSchema = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z')
  .transform((s) => new Date(s));
const LimitSchema = z.coerce.number().int('must be a whole number').min(1).max(500);

const ErrorShape = z.object({ code: z.number().nullable(), subcode: z.number().nullable(), message: z.string().nullable() }).nullable();
const ConsoleMessageSchema = z.object({
  id: z.string(),
  pageId: z.string(),
  psid: z.string(),
  status: z.string(),
  attempts: z.number(),
  messageId: z.string().nullable(),
  error: ErrorShape,
  createdAt: Iso,
  updatedAt: Iso,
  sentAt: Iso.nullable(),
  channel: z.enum(['instagram']).optional(),
  /** The first characters of the text; never the whole body. */
  preview: z.string(),
  /** The message this one retries. */
  retryOf: z.string().nullable(),
});
const HistorySchema = z.array(z.object({ at: Iso, status: z.string(), error: ErrorShape, note: z.string().nullable() }));
const AuditEntrySchema = z.object({
  id: z.number(),
  at: Iso,
  event: z.string(),
  pageId: z.string().nullable(),
  userId: z.string().nullable(),
  oldState: z.string().nullable(),
  newState: z.string().nullable(),
  reason: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
type View = Awaited<ReturnType<ConsolePort['messages']>>[number];
function messageJson(m: View): z.output<typeof ConsoleMessageSchema> {
  return { ...m, createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString(), sentAt: iso(m.sentAt) };
}

export function consoleApiRoutes(deps: ServiceDeps): AnyApiRoute[] {
  const consoleOf = (request: FastifyRequest): ConsolePort => {
    const c = reachOf(request, deps).deps.console;
    if (!c) throw pkError('PK_INTERNAL', { detail: 'the operations console is not configured' }, { details: { status: 503 } });
    return c;
  };
  /** A message of a Page outside the key's reach is as unknown as one that never existed. */
  const visibleMessage = async (request: FastifyRequest, id: string) => {
    const m = await consoleOf(request).message(id);
    if (!m || !pageVisibleTo(reachOf(request, deps), m.pageId)) throw pkError('PK_NOT_FOUND', { what: 'Message' });
    return m;
  };
  const connectedPage = async (request: FastifyRequest, id: string) => {
    const reach = reachOf(request, deps);
    requireVisible(reach, id);
    const page = await reach.deps.pages.get(id);
    if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId: id });
  };
  const messageParams = z.object({ id: MessageIdSchema });
  const pageParams = z.object({ id: PageIdSchema });

  return [
    apiRoute({
      method: 'GET',
      url: '/v1/messages',
      summary: 'The outbox, newest first, filtered by status, Page and time',
      scope: 'messages:write',
      query: z.object({
        status: z.enum(OUTBOX_STATUSES).optional(),
        pageId: PageIdSchema.optional(),
        since: TimeSchema.optional().describe('created at or after (ISO 8601)'),
        until: TimeSchema.optional().describe('created before (ISO 8601)'),
        before: MessageIdSchema.optional().describe('the next page: messages older than this id (the last id of the previous page)'),
        limit: LimitSchema.optional().describe('1 to 500, default 50'),
      }),
      responses: {
        200: { description: 'The messages; `next` is the `before` value of the next page, null at the end', schema: z.object({ messages: z.array(ConsoleMessageSchema), next: z.string().nullable() }) },
        400: { description: 'A filter is malformed (PK_VALIDATION)' },
      },
      handler: async ({ query, request }) => {
        const reach = reachOf(request, deps);
        if (query.pageId !== undefined) requireVisible(reach, query.pageId);
        const limit = query.limit ?? 50;
        // A key limited to some Pages asks the database for only theirs.
        const found = await consoleOf(request).messages({ ...query, ...(query.pageId === undefined && reach.pageIds !== null ? { pageIds: [...reach.pageIds] } : {}), limit });
        const messages = found.filter((m) => pageVisibleTo(reach, m.pageId));
        return { messages: messages.map(messageJson), next: found.length === limit ? (found[found.length - 1]?.id ?? null) : null };
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/messages/{id}/history',
      summary: 'A message with its full history and its retry links',
      scope: 'messages:write',
      params: messageParams,
      responses: {
        200: { description: 'The message and its history, oldest first', schema: ConsoleMessageSchema.extend({ retriedAs: z.array(z.string()), history: HistorySchema }) },
        404: { description: 'Unknown id' },
      },
      handler: async ({ params, request }) => {
        const m = await visibleMessage(request, params.id);
        return { ...messageJson(m), retriedAs: m.retriedAs, history: m.history.map((h) => ({ ...h, at: h.at.toISOString() })) };
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/messages/{id}/retry',
      summary: 'Retry a failed or unknown message as a new message (new id and idempotency key) linked to the old one',
      scope: 'messages:write',
      params: messageParams,
      responses: {
        202: { description: 'The retry is queued; asking again returns the same retry with duplicate: true', schema: z.object({ id: z.string(), status: z.string(), retryOf: z.string(), duplicate: z.boolean() }) },
        404: { description: 'Unknown id, or its Page is no longer connected' },
        409: { description: 'The message is not failed or unknown (PK_MESSAGE_NOT_RETRYABLE), or the 24-hour window has closed (PK_OUTSIDE_WINDOW)' },
      },
      handler: async ({ params, request, reply }) => {
        await visibleMessage(request, params.id);
        const r = await consoleOf(request).retry(params.id);
        void reply.code(202);
        return r;
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/messages/{id}/cancel',
      summary: 'Cancel a queued or held message: it is never sent',
      scope: 'messages:write',
      params: messageParams,
      responses: {
        200: { description: 'The message, now cancelled', schema: ConsoleMessageSchema },
        404: { description: 'Unknown id' },
        409: { description: 'Already sent, being sent, or finished (PK_MESSAGE_NOT_CANCELLABLE)' },
      },
      handler: async ({ params, request }) => {
        await visibleMessage(request, params.id);
        return messageJson(await consoleOf(request).cancel(params.id));
      },
    }),
    apiRoute({
      method: 'DELETE',
      url: '/v1/pages/{id}',
      summary: 'Remove a Page: its waiting messages are cancelled, its webhooks unsubscribed, its tokens deleted (connect it again to bring it back)',
      scope: 'pages:manage',
      params: pageParams,
      responses: {
        200: {
          description: 'What was done',
          schema: z.object({ pageId: z.string(), cancelledMessages: z.number(), tokensDeleted: z.number(), unsubscribed: z.boolean() }),
        },
        404: { description: 'Not connected' },
      },
      handler: async ({ params, request }) => {
        await connectedPage(request, params.id);
        return consoleOf(request).removePage(params.id);
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/pages/{id}/subscription',
      summary: "Subscribe the app to the Page's webhooks again, now; the page's `subscription` says how it went",
      scope: 'pages:manage',
      params: pageParams,
      responses: {
        200: { description: 'The page after the attempt (subscription.subscribed false with reason and fix when Facebook refused)', schema: PageResponseSchema },
        404: { description: 'Not connected' },
        409: { description: 'No valid token left (PK_NO_VALID_TOKEN): reconnect' },
      },
      handler: async ({ params, request }) => {
        await connectedPage(request, params.id);
        return pageJson(await consoleOf(request).resubscribe(params.id));
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/audit-log',
      summary: 'The audit log, newest first, filtered by Page, kind and time',
      scope: 'events:read',
      query: z.object({
        pageId: PageIdSchema.optional(),
        event: z.string().regex(/^[a-z_.]{1,64}$/, 'must be an event kind such as token_invalidated').optional(),
        since: TimeSchema.optional(),
        until: TimeSchema.optional(),
        before: z.coerce.number().int().positive().optional().describe('the next page: entries older than this id'),
        limit: LimitSchema.optional().describe('1 to 500, default 50'),
      }),
      responses: { 200: { description: 'The entries; `next` is the `before` value of the next page', schema: z.object({ events: z.array(AuditEntrySchema), next: z.number().nullable() }) } },
      handler: async ({ query, request }) => {
        const reach = reachOf(request, deps);
        if (query.pageId !== undefined) requireVisible(reach, query.pageId);
        const limit = query.limit ?? 50;
        const { before, ...rest } = query;
        const found = await consoleOf(request).events({ ...rest, ...(before === undefined ? {} : { beforeId: before }), limit });
        // A key limited to some Pages sees only their entries.
        const events = reach.pageIds === null ? found : found.filter((e) => e.pageId !== null && pageVisibleTo(reach, e.pageId));
        return { events: events.map((e) => ({ ...e, at: e.at.toISOString() })), next: found.length === limit ? (found[found.length - 1]?.id ?? null) : null };
      },
    }),
  ];
}
