/**
 * `GET|POST|DELETE /v1/pages/{id}/graph/{path}` (scope `graph:proxy`): a Graph API call made as
 * the Page, for apps in any language. pagekeeper adds the Page token and appsecret_proof
 * (https://developers.facebook.com/docs/graph-api/securing-requests/), fails over to another
 * admin's token when Facebook refuses the first (reads only; a write is never repeated),
 * marks a refused token invalid at once, retries what is safe to retry and waits out throttling
 * as the library does, then answers Graph's status, body and usage headers. The token never
 * appears in the answer: access_token and appsecret_proof given by the caller are refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pkError } from '../../errors.js';
import { isGraphError } from '../../graph/graph-error.js';
import type { Scope } from '../api-keys/scopes.js';
import type { ServiceDeps } from '../deps.js';
import { PageIdSchema } from './api-routes.js';
import { reachOf, requireVisible } from '../tenants/reach.js';

export const GRAPH_PROXY_PATH = '/v1/pages/{id}/graph/{path}';
/** Graph node and edge paths: ids, names, `/`; no `..`, no scheme, no query (that goes in the query string). */
const GRAPH_PATH = /^(?!.*\.\.)[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+){0,7}$/;
const SECRET_PARAMS = new Set(['access_token', 'appsecret_proof', 'appsecret_time']);

type Hook = (scope: Scope) => (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export function graphProxyRoute(app: FastifyInstance, deps: ServiceDeps, preHandler: Hook): void {
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/v1/pages/:id/graph/*',
    preHandler: preHandler('graph:proxy'),
    handler: async (request, reply) => {
      const raw = request.params as { id?: string; '*'?: string };
      const id = PageIdSchema.parse(raw.id);
      const reach = reachOf(request, deps);
      requireVisible(reach, id);
      const path = raw['*'] ?? '';
      if (!GRAPH_PATH.test(path)) throw pkError('PK_VALIDATION', { detail: 'the Graph path must be a relative node/edge path such as `me/conversations` or `{page-id}/feed`' });
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
        if (SECRET_PARAMS.has(name.toLowerCase())) throw pkError('PK_VALIDATION', { detail: `do not send ${name}: pagekeeper adds the Page token and appsecret_proof itself` });
        if (typeof value === 'string') params[name] = value;
        else throw pkError('PK_VALIDATION', { detail: `query parameter ${name} must be given once` });
      }
      const method = request.method as 'GET' | 'POST' | 'DELETE';
      const body = method === 'POST' ? request.body : undefined;
      if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw pkError('PK_VALIDATION', { detail: 'the body must be a JSON object' });
      if (body && typeof body === 'object' && Object.keys(body).some((k) => SECRET_PARAMS.has(k.toLowerCase()))) {
        throw pkError('PK_VALIDATION', { detail: 'do not send access_token: pagekeeper adds the Page token and appsecret_proof itself' });
      }
      const page = await reach.deps.pages.get(id);
      if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId: id });
      if (!reach.deps.graphProxy) throw pkError('PK_INTERNAL', { detail: 'the Graph proxy is not configured' }, { details: { status: 503 } });
      try {
        const answer = await reach.deps.graphProxy(id, { method, path, params, ...(body ? { json: body } : {}) });
        if (answer.failedOver) void reply.header('x-pagekeeper-token-failover', 'true');
        return reply.code(answer.status).headers(answer.headers).send(answer.body ?? null);
      } catch (e) {
        if (!isGraphError(e) || e.code === 0 || e.httpStatus === null) throw e;
        // Facebook's own refusal, in Facebook's shape (message already stripped of any token).
        void reply.header('x-pagekeeper-error', e.pkCode);
        return reply.code(e.httpStatus).send({
          error: { message: e.detail, type: e.type, code: e.code, error_subcode: e.subcode, fbtrace_id: e.fbtraceId, is_transient: e.isTransient },
        });
      }
    },
  });
}

/** The proxy's entry in /openapi.json (it is not a table route: any path below the Page). */
export function graphProxyOpenApi(): Record<string, unknown> {
  const errorRef = { description: 'pagekeeper refused before calling Graph', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const op = (method: string) => ({
    summary: `${method} a Graph API path as the Page (token and appsecret_proof added by pagekeeper)`,
    security: [{ bearer: ['graph:proxy'] }],
    'x-scope': 'graph:proxy',
    parameters: [
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{1,32}$' } },
      { name: 'path', in: 'path', required: true, description: 'Graph path relative to the version, e.g. `me/conversations`; may contain `/`', schema: { type: 'string' } },
    ],
    ...(method === 'POST' ? { requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } } : {}),
    responses: {
      '200': {
        description: "Graph's answer: its status, body and usage headers (X-App-Usage, X-Business-Use-Case-Usage, X-Page-Usage). X-Pagekeeper-Token-Failover: true when the first token was refused and another admin's token answered",
        content: { 'application/json': { schema: {} } },
      },
      '400': errorRef,
      '401': errorRef,
      '403': errorRef,
      '404': errorRef,
      default: { description: "Graph's error answer, in Graph's shape ({\"error\":{\"message\",\"type\",\"code\",\"error_subcode\",\"fbtrace_id\"}}), with X-Pagekeeper-Error", content: { 'application/json': { schema: {} } } },
    },
  });
  return { [GRAPH_PROXY_PATH]: { get: op('GET'), post: op('POST'), delete: op('DELETE') } };
}
