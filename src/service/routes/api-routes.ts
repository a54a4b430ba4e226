import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import { validateFor } from '../../messenger/send.js';
import { MESSAGING_TYPES, SENDER_ACTIONS } from '../../messenger/types.js';
import type { MessageView, PageView, ServiceDeps } from '../deps.js';
import { apiRoute, type AnyApiRoute } from '../server/route-table.js';
import { inboundRoute } from './inbound-route.js';
import { messengerPlatformRoutes } from './messenger-platform-routes.js';
import { pageVisibleTo, reachOf, requireVisible } from '../tenants/reach.js';

/** Page and user ids are numeric strings (docs/graph-api.md); anything else is refused before any lookup. */
export const PageIdSchema = z.string().regex(/^\d{1,32}$/, 'must be a numeric Page id');
const MessageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a message id as returned by POST /v1/pages/{id}/messages');
/** Printable ASCII, as for HTTP header values generally; long enough for a UUID or a hash. */
const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1 to 255 printable ASCII characters');

const Iso = z.string().describe('ISO 8601 time');
const TokenViewSchema = z.object({
  userId: z.string(),
  status: z.enum(['valid', 'invalid']),
  invalidReason: z.string().nullable(),
  expiresAt: z.union([z.literal('never'), Iso]),
  dataAccessExpiresAt: Iso.nullable(),
  messagingGranted: z.boolean(),
  tasks: z.array(z.string()),
  lastCheckedAt: Iso.nullable(),
});
export const PageResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string().nullable(),
  status: z.enum(['healthy', 'expiring', 'needs_reauth', 'missing_permission']),
  reason: z.string().nullable(),
  fix: z.string().nullable(),
  warning: z.string().nullable(),
  lastCheckedAt: Iso.nullable(),
  connectedAt: Iso,
  /** The best valid token's expiry: "never" is the goal; null when no token is valid. */
  tokenExpiresAt: z.union([z.literal('never'), Iso]).nullable(),
  dataAccessExpiresAt: Iso.nullable(),
  tokens: z.array(TokenViewSchema),
  /** docs/instagram.md */
  instagram: z
    .object({
      id: z.string().nullable(),
      username: z.string().nullable(),
      messaging: z.enum(['ok', 'missing_permission', 'not_linked']),
      reason: z.string().optional(),
      fix: z.string().optional(),
    })
    .optional(),
  /** The app's webhook subscription to the Page; without it no Messenger webhook arrives. */
  subscription: z.object({ subscribed: z.boolean(), fields: z.array(z.string()), checkedAt: Iso.nullable(), reason: z.string().nullable(), fix: z.string().nullable() }),
});
const MessageResponseSchema = z.object({
  id: z.string(),
  pageId: z.string(),
  psid: z.string(),
  status: z.string(),
  attempts: z.number(),
  messageId: z.string().nullable(),
  error: z.object({ code: z.number().nullable(), subcode: z.number().nullable(), message: z.string().nullable() }).nullable(),
  createdAt: Iso,
  updatedAt: Iso,
  sentAt: Iso.nullable(),
  channel: z.enum(['instagram']).optional(),
});

/** The Send API body (docs/graph-api.md "Messenger Send API"); rules beyond the shape are checked by validateFor (per channel). */
export const SendMessageBodySchema = z
  .looseObject({
    recipient: z.looseObject({ id: z.string().min(1).max(64) }),
    messaging_type: z.enum(MESSAGING_TYPES).optional(),
    tag: z.string().optional(),
    message: z.record(z.string(), z.unknown()).optional(),
    // Instagram adds react/unreact (docs/instagram.md); each channel's own rules are checked by validateFor.
    sender_action: z.enum([...SENDER_ACTIONS, 'react', 'unreact']).optional(),
    notification_type: z.enum(['REGULAR', 'SILENT_PUSH', 'NO_PUSH']).optional(),
    /** pagekeeper's own field, not sent to Facebook: `instagram` sends to an IGSID of the Page's linked Instagram account. */
    channel: z.enum(['messenger', 'instagram']).optional(),
  })
  .describe(
    'A Messenger Send API body: {"recipient":{"id":"<PSID>"},"messaging_type":"RESPONSE","message":{"text":"hi"}}; add "channel":"instagram" to reply to an IGSID through the Page\'s Instagram account',
  );

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** The JSON form of a page view (its expiry fields follow the one rule of src/tokens/page-view.ts). */
export function pageJson(p: PageView): z.output<typeof PageResponseSchema> {
  return {
    id: p.id,
    name: p.name,
    category: p.category,
    status: p.status,
    reason: p.reason,
    fix: p.fix,
    warning: p.warning,
    lastCheckedAt: iso(p.lastCheckedAt),
    connectedAt: p.connectedAt.toISOString(),
    tokenExpiresAt: p.tokenExpiresAt === 'never' ? 'never' : iso(p.tokenExpiresAt),
    dataAccessExpiresAt: iso(p.dataAccessExpiresAt),
    tokens: p.tokens.map((t) => ({
      userId: t.userId,
      status: t.status,
      invalidReason: t.invalidReason,
      expiresAt: t.expiresAt === null ? 'never' : t.expiresAt.toISOString(),
      dataAccessExpiresAt: iso(t.dataAccessExpiresAt),
      messagingGranted: t.messagingGranted,
      tasks: t.tasks,
      lastCheckedAt: iso(t.lastCheckedAt),
    })),
    ...(p.instagram ? { instagram: p.instagram } : {}),
    subscription: { ...p.subscription, checkedAt: iso(p.subscription.checkedAt) },
  };
}

function messageJson(m: MessageView): z.output<typeof MessageResponseSchema> {
  return { ...m, createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString(), sentAt: iso(m.sentAt) };
}

const pageParams = z.object({ id: PageIdSchema });

/** The REST API under /v1. */
export function apiRoutes(deps: ServiceDeps): AnyApiRoute[] {
  // Every Page route works on the key's reach: its tenant's data, and only the Pages it may see.
  const requirePage = async (request: FastifyRequest, id: string) => {
    const reach = reachOf(request, deps);
    requireVisible(reach, id);
    const page = await reach.deps.pages.get(id);
    if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId: id });
    return page;
  };
  const outbox = (request: FastifyRequest) => {
    const box = reachOf(request, deps).deps.outbox;
    if (!box) throw pkError('PK_INTERNAL', { detail: 'outbox not configured' }, { details: { status: 503 } });
    return box;
  };
  return [
    apiRoute({
      method: 'GET',
      url: '/v1/pages',
      summary: 'List connected pages with their health',
      scope: 'pages:read',
      responses: { 200: { description: 'The pages', schema: z.object({ pages: z.array(PageResponseSchema) }) } },
      handler: async ({ request }) => {
        const reach = reachOf(request, deps);
        return { pages: (await reach.deps.pages.list()).filter((p) => p.removedAt === null && pageVisibleTo(reach, p.id)).map(pageJson) };
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/pages/{id}',
      summary: 'One page with its health',
      scope: 'pages:read',
      params: pageParams,
      responses: { 200: { description: 'The page', schema: PageResponseSchema }, 400: { description: 'Malformed id' }, 404: { description: 'Not connected' } },
      handler: async ({ params, request }) => pageJson(await requirePage(request, params.id)),
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/pages/{id}/token',
      summary: "The page's current access token (never expires when connected through a long-lived user token)",
      scope: 'tokens:read',
      params: pageParams,
      responses: {
        200: { description: 'The token', schema: z.object({ pageId: z.string(), accessToken: z.string() }) },
        404: { description: 'Not connected' },
        409: { description: 'No valid token left (PK_NO_VALID_TOKEN): reconnect' },
      },
      // The hot route: the cached token's promise, mapped once, no async wrapper.
      handler: ({ params, request, reply }) => {
        const reach = reachOf(request, deps);
        requireVisible(reach, params.id);
        return reach.deps.pages.token(params.id).then((token) => {
          // A token must not be kept by a proxy or the browser cache.
          void reply.header('cache-control', 'no-store');
          return { pageId: params.id, accessToken: token };
        });
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/pages/{id}/messages',
      summary: 'Queue a message for delivery through the outbox',
      scope: 'messages:write',
      params: pageParams,
      body: SendMessageBodySchema,
      headers: { 'Idempotency-Key': { description: 'Repeating a request with the same key returns the first message instead of sending twice' } },
      responses: {
        202: { description: 'Queued', schema: z.object({ id: z.string(), status: z.string(), duplicate: z.boolean() }) },
        400: { description: 'Invalid message (PK_MESSAGE_INVALID) or request' },
        404: { description: 'Not connected' },
        409: { description: 'Idempotency key reused with another body (PK_DUPLICATE), or outside the messaging window' },
        503: { description: 'No outbox configured' },
      },
      handler: async ({ params, body, request, reply }) => {
        const rawKey = request.headers['idempotency-key'];
        const idempotencyKey = rawKey === undefined ? undefined : IdempotencyKeySchema.parse(rawKey);
        const { channel = 'messenger', ...sendBody } = body;
        validateFor(channel, sendBody);
        const box = outbox(request);
        await requirePage(request, params.id);
        // Keys are scoped to the calling API key (and the Page): another client's key never
        // matches, so a conflict cannot reveal someone else's message.
        const scope = request.apiKey?.id ?? '';
        const queued = await box.enqueue(params.id, sendBody, {
          ...(idempotencyKey === undefined ? {} : { idempotencyKey, idempotencyScope: `api_key:${scope}` }),
          ...(channel === 'instagram' ? { channel } : {}),
        });
        // The same answer for the same caller's repeat: it learns its first message's id.
        void reply.code(202);
        return queued;
      },
    }),
    inboundRoute(pageParams, requirePage, (request) => reachOf(request, deps).deps),
    ...messengerPlatformRoutes(pageParams, requirePage, (request) => reachOf(request, deps).deps),
    apiRoute({
      method: 'GET',
      url: '/v1/messages/{id}',
      summary: "A queued message's delivery status",
      scope: 'messages:write',
      params: z.object({ id: MessageIdSchema }),
      responses: { 200: { description: 'The message', schema: MessageResponseSchema }, 404: { description: 'Unknown id' }, 503: { description: 'No outbox configured' } },
      handler: async ({ params, request }) => {
        const m = await outbox(request).get(params.id);
        // A message of a Page outside the key's reach is as unknown as one that never existed.
        if (!m || !pageVisibleTo(reachOf(request, deps), m.pageId)) throw pkError('PK_NOT_FOUND', { what: 'Message' });
        return messageJson(m);
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/pages/{id}/check',
      summary: "Check the page's tokens with Facebook now",
      scope: 'pages:check',
      params: pageParams,
      responses: { 200: { description: 'The page after the check', schema: PageResponseSchema }, 404: { description: 'Not connected' } },
      handler: async ({ params, request }) => {
        await requirePage(request, params.id);
        return pageJson(await reachOf(request, deps).deps.pages.check(params.id));
      },
    }),
  ];
}
