/**
 * Tenants, their webhooks, connect links and token-failure reports, under /v1. Tenant routes
 * need `tenants:admin`; a key of one tenant sees only its own tenant (others answer 404), and
 * only an admin key (no tenant) creates tenants.
 */
import { z } from 'zod';
import { pkError } from '../../errors.js';
import type { StoredConnectSession } from '../../store/connect-session-repository.js';
import type { StoredTenant } from '../../store/tenant-repository.js';
import type { ServiceDeps } from '../deps.js';
import { apiRoute, type AnyApiRoute } from '../server/route-table.js';
import { PageIdSchema } from './api-routes.js';
import { reachOf, requireVisible, type Reach } from '../tenants/reach.js';
import { TENANT_ID_PATTERN, type TenantRegistry } from '../tenants/tenant-registry.js';

const Iso = z.string().describe('ISO 8601 time');
const TenantIdSchema = z.string().regex(TENANT_ID_PATTERN, 'must be 1 to 64 letters, digits, "-" or "_" (your own customer id)');
const TenantSchema = z.object({ id: z.string(), name: z.string(), forwardUrl: z.string().nullable(), alertUrl: z.string().nullable(), createdAt: Iso });
const ConnectSessionSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  status: z.enum(['pending', 'opened', 'success', 'cancelled', 'error']),
  returnUrl: z.string(),
  pages: z.array(z.string()).nullable(),
  createdAt: Iso,
  expiresAt: Iso,
  completedAt: Iso.nullable(),
  result: z
    .object({
      pages: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
      pagesGained: z.array(z.string()),
      pagesLost: z.array(z.string()),
      problems: z.array(z.string()),
    })
    .nullable(),
});

/** A webhook target: https, or http on a loopback address (local development). */
const WebhookUrlSchema = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname));
    } catch {
      return false;
    }
  }, 'must be an https URL (http only on 127.0.0.1 or localhost)');

const tenantJson = (t: StoredTenant): z.output<typeof TenantSchema> => ({ id: t.id, name: t.name, forwardUrl: t.forwardUrl, alertUrl: t.alertUrl, createdAt: t.createdAt.toISOString() });

export function connectSessionJson(s: StoredConnectSession): z.output<typeof ConnectSessionSchema> {
  return {
    id: s.id,
    tenantId: s.tenantId,
    status: s.status,
    returnUrl: s.returnUrl,
    pages: s.pages,
    createdAt: s.createdAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    completedAt: s.completedAt?.toISOString() ?? null,
    result: (s.result as z.output<typeof ConnectSessionSchema>['result']) ?? null,
  };
}

const notFound = (id: string) => pkError('PK_TENANT_NOT_FOUND', { tenantId: id });
const e404 = { description: 'No such tenant, or not within the key\'s reach (PK_TENANT_NOT_FOUND)' };

export function tenantRoutes(deps: ServiceDeps): AnyApiRoute[] {
  const registry = (): TenantRegistry => {
    if (!deps.tenants) throw pkError('PK_INTERNAL', { detail: 'tenants are not configured in this service' }, { details: { status: 503 } });
    return deps.tenants;
  };
  /** A tenant key reaches only its own tenant; anything else is as unknown as a missing one. */
  const requireTenantInReach = (reach: Reach, id: string) => {
    if (reach.tenantId !== null && reach.tenantId !== id) throw notFound(id);
  };
  const tenantParams = z.object({ id: TenantIdSchema });

  return [
    apiRoute({
      method: 'POST',
      url: '/v1/tenants',
      summary: 'Create a tenant (one of your customers), with your own id for it',
      scope: 'tenants:admin',
      body: z.object({ id: TenantIdSchema, name: z.string().min(1).max(200) }),
      responses: {
        201: { description: 'Created', schema: TenantSchema },
        400: { description: 'Bad id or name (PK_VALIDATION)' },
        403: { description: 'Only an admin key (no --tenant) creates tenants (PK_FORBIDDEN)' },
        409: { description: 'The id is taken (PK_TENANT_EXISTS)' },
      },
      handler: async ({ body, request, reply }) => {
        if (reachOf(request, deps).tenantId !== null) throw pkError('PK_FORBIDDEN', { scope: 'tenants:admin on a key without --tenant' });
        const t = await registry().create(body);
        void reply.code(201);
        return tenantJson(t);
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/tenants',
      summary: 'List tenants (a tenant key sees its own only)',
      scope: 'tenants:admin',
      responses: { 200: { description: 'The tenants', schema: z.object({ tenants: z.array(TenantSchema) }) } },
      handler: async ({ request }) => {
        const reach = reachOf(request, deps);
        const all = await registry().list();
        return { tenants: all.filter((t) => reach.tenantId === null || t.id === reach.tenantId).map(tenantJson) };
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/tenants/{id}',
      summary: 'One tenant',
      scope: 'tenants:admin',
      params: tenantParams,
      responses: { 200: { description: 'The tenant', schema: TenantSchema }, 404: e404 },
      handler: async ({ params, request }) => {
        requireTenantInReach(reachOf(request, deps), params.id);
        const t = await registry().getStored(params.id);
        if (!t) throw notFound(params.id);
        return tenantJson(t);
      },
    }),
    apiRoute({
      method: 'DELETE',
      url: '/v1/tenants/{id}',
      summary: "Delete a tenant with its Pages, tokens and outbox (the tenant's keys stop working)",
      scope: 'tenants:admin',
      params: tenantParams,
      responses: { 200: { description: 'Deleted', schema: z.object({ id: z.string(), deleted: z.literal(true) }) }, 400: { description: 'The default tenant cannot be deleted' }, 404: e404 },
      handler: async ({ params, request }) => {
        requireTenantInReach(reachOf(request, deps), params.id);
        await registry().delete(params.id);
        return { id: params.id, deleted: true as const };
      },
    }),
    apiRoute({
      method: 'PUT',
      url: '/v1/tenants/{id}/webhooks',
      summary: "Where this tenant's Messenger events, connect.completed events and health alerts go; answers a new signing secret, once",
      scope: 'tenants:admin',
      params: tenantParams,
      body: z.object({ forwardUrl: WebhookUrlSchema.nullable().optional(), alertUrl: WebhookUrlSchema.nullable().optional() }),
      responses: {
        200: {
          description: 'Saved. Each delivery carries X-Pagekeeper-Signature: sha256=<HMAC-SHA256 of the body with secret>',
          schema: z.object({ forwardUrl: z.string().nullable(), alertUrl: z.string().nullable(), secret: z.string() }),
        },
        400: { description: 'A URL is not https (PK_VALIDATION)' },
        404: e404,
      },
      handler: async ({ params, body, request }) => {
        requireTenantInReach(reachOf(request, deps), params.id);
        return registry().setWebhooks(params.id, { forwardUrl: body.forwardUrl ?? null, alertUrl: body.alertUrl ?? null });
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/connect-sessions',
      summary: 'A single-use connect link (15 minutes) for a tenant\'s customer; after Facebook Login the browser returns to returnUrl with connect_session and status',
      scope: 'connect:write',
      body: z.object({
        tenantId: TenantIdSchema,
        returnUrl: z.string().max(2048),
        pages: z.array(PageIdSchema).min(1).max(1000).optional(),
      }),
      responses: {
        201: { description: 'The link', schema: z.object({ id: z.string(), url: z.string(), expiresAt: Iso }) },
        400: { description: 'returnUrl is not on an allowed origin (PK_RETURN_URL_NOT_ALLOWED) or the body is invalid' },
        404: e404,
        503: { description: 'Facebook Login or PAGEKEEPER_PUBLIC_URL is not configured' },
      },
      handler: async ({ body, request, reply }) => {
        const reach = reachOf(request, deps);
        requireTenantInReach(reach, body.tenantId);
        if (!(await registry().getStored(body.tenantId))) throw notFound(body.tenantId);
        const publicUrl = deps.config.publicUrl;
        if (!deps.connect || publicUrl === undefined) throw pkError('PK_INTERNAL', { detail: 'Facebook Login is not configured' }, { details: { status: 503 } });
        const { session, url } = await registry().sessions.create({ tenantId: body.tenantId, returnUrl: body.returnUrl, pages: body.pages ?? null, publicUrl });
        void reply.code(201);
        return { id: session.id, url, expiresAt: session.expiresAt.toISOString() };
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/connect-sessions/{id}',
      summary: "A connect link's state and, once done, its result (Pages gained, lost, problems)",
      scope: 'connect:write',
      params: z.object({ id: z.string().regex(/^cs_[A-Za-z0-9_-]{1,64}$/, 'must be a connect session id (cs_...)') }),
      responses: { 200: { description: 'The session', schema: ConnectSessionSchema }, 404: { description: 'Unknown, or another tenant\'s (PK_NOT_FOUND)' } },
      handler: async ({ params, request }) => {
        const reach = reachOf(request, deps);
        const s = await registry().sessions.get(params.id);
        if (!s || (reach.tenantId !== null && s.tenantId !== reach.tenantId)) throw pkError('PK_NOT_FOUND', { what: 'Connect session' });
        return connectSessionJson(s);
      },
    }),
    apiRoute({
      method: 'POST',
      url: '/v1/pages/{id}/token-failures',
      summary: 'Report that Facebook refused the Page token your app used (code 190 or 102): pagekeeper invalidates it at once and fails over to another admin\'s token',
      scope: 'tokens:read',
      params: z.object({ id: PageIdSchema }),
      body: z.object({ code: z.number().int(), subcode: z.number().int().nullable().optional() }),
      responses: {
        200: {
          description: 'Recorded; fetch the token again (GET /v1/pages/{id}/token) when validTokens > 0',
          schema: z.object({ invalidated: z.boolean(), page: z.object({ id: z.string(), status: z.string(), validTokens: z.number() }).nullable() }),
        },
        400: { description: 'code is not 190 or 102 (PK_VALIDATION)' },
        404: { description: 'Not connected, or outside the key\'s reach' },
      },
      handler: async ({ params, body, request }) => {
        const reach = reachOf(request, deps);
        requireVisible(reach, params.id);
        if (!reach.deps.reportTokenFailure) throw pkError('PK_INTERNAL', { detail: 'token failure reports are not configured' }, { details: { status: 503 } });
        return reach.deps.reportTokenFailure(params.id, { code: body.code, subcode: body.subcode ?? null });
      },
    }),
  ];
}
