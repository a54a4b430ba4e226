import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../core/json-depth.js';
import type { Scope } from '../api-keys/scopes.js';

/**
 * One place that describes a JSON API route: its schemas validate the request in the handler
 * and the same schemas generate /openapi.json, so the document cannot drift from the code.
 */
export interface ApiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'POST';
  url: string;
  summary: string;
  /** Needed scope; undefined means a public route. */
  scope?: Scope;
  params?: P;
  query?: Q;
  body?: B;
  /** Header names documented as parameters (e.g. Idempotency-Key). */
  headers?: Record<string, { description: string; required?: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; request: FastifyRequest; reply: FastifyReply }) => Promise<unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous list of routes
export type AnyApiRoute = ApiRoute<any, any, any>;

export function apiRoute<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(r: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> {
  return r;
}

/** Registers routes; `preHandler(scope)` is the authentication hook (callback style) for scoped routes. */
export function registerApiRoutes(
  app: FastifyInstance,
  routes: readonly AnyApiRoute[],
  preHandler: (scope: Scope) => (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void,
): void {
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url.replace(/\{(\w+)\}/g, ':$1'),
      ...(r.scope ? { preHandler: preHandler(r.scope) } : {}),
      // Not async: Fastify catches a synchronous throw (a failed parse) as it does a rejection,
      // and the route's own promise is returned as is, without a second one around it.
      handler: (request, reply) => {
        const params = r.params ? r.params.parse(request.params) : undefined;
        const query = r.query ? r.query.parse(request.query) : undefined;
        // Depth first: a hostile nesting would overflow the stack of any recursive step after this.
        if (r.body && nestedDeeperThan(request.body)) throw pkError('PK_VALIDATION', { detail: `the body nests more than ${MAX_JSON_DEPTH} levels deep` });
        const body = r.body ? r.body.parse(request.body) : undefined;
        return r.handler({ params, query, body, request, reply });
      },
    });
  }
}

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }) });

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/** The OpenAPI 3.1 document for the routes. */
export function buildOpenApi(routes: readonly AnyApiRoute[], info: { version: string; serverUrl?: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    if (r.params instanceof z.ZodObject) {
      for (const [name, s] of Object.entries(r.params.shape as Record<string, z.ZodType>)) parameters.push({ name, in: 'path', required: true, schema: jsonSchema(s) });
    }
    if (r.query instanceof z.ZodObject) {
      for (const [name, s] of Object.entries(r.query.shape as Record<string, z.ZodType>)) parameters.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: jsonSchema(s) });
    }
    for (const [name, h] of Object.entries(r.headers ?? {})) parameters.push({ name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } });
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      const schema = resp.schema ?? (Number(status) >= 400 ? ErrorSchema : undefined);
      responses[status] = schema ? { description: resp.description, content: { 'application/json': { schema: jsonSchema(schema) } } } : { description: resp.description };
    }
    if (r.scope) {
      responses['401'] ??= { description: 'Missing, wrong or revoked API key', content: { 'application/json': { schema: jsonSchema(ErrorSchema) } } };
      responses['403'] ??= { description: `The key lacks the scope ${r.scope}`, content: { 'application/json': { schema: jsonSchema(ErrorSchema) } } };
    }
    (paths[r.url] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      ...(r.scope ? { security: [{ bearer: [r.scope] }], 'x-scope': r.scope } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'pagekeeper', version: info.version, description: 'Facebook Page tokens that keep working: pages, tokens, messages.' },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from `pagekeeper api-keys create`' } } },
    paths,
  };
}
