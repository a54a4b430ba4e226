/**
 * A typed client for pagekeeper's REST API (`pagekeeper serve`), for TypeScript and JavaScript
 * apps: `import { createClient } from 'pagekeeper/client'`. Its types are generated from the
 * service's /openapi.json (src/client/openapi-types.ts, `npm run client:types`), so they match
 * the routes. Apps in other languages generate their own client from the same document (see
 * docs/service.md). Standalone: it uses the platform's fetch and imports nothing else.
 */
import type { paths } from './openapi-types.js';

export type { paths } from './openapi-types.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Ok<Op> = Op extends { responses: infer R } ? (R extends { 200: infer A } ? Json<A> : R extends { 201: infer A } ? Json<A> : R extends { 202: infer A } ? Json<A> : unknown) : never;
type BodyOf<Op> = Op extends { requestBody: { content: { 'application/json': infer B } } } ? B : Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Page = Ok<paths['/v1/pages/{id}']['get']>;
export type Tenant = Ok<paths['/v1/tenants/{id}']['get']>;
export type ConnectSession = Ok<paths['/v1/connect-sessions/{id}']['get']>;
export type SendMessageBody = BodyOf<paths['/v1/pages/{id}/messages']['post']>;
export type QueuedMessage = Ok<paths['/v1/pages/{id}/messages']['post']>;
export type Message = Ok<paths['/v1/messages/{id}']['get']>;

/** A refusal by pagekeeper (or, through the Graph proxy, by Facebook), with its stable code. */
export class PageKeeperClientError extends Error {
  override readonly name = 'PageKeeperClientError';
  constructor(
    readonly status: number,
    /** pagekeeper's error code (PK_...), or `PK_GRAPH_ERROR` for Facebook's own refusal through the proxy. */
    readonly code: string,
    message: string,
    readonly fix: string | undefined,
    /** The answer's body as parsed. */
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface GraphAnswer<T = unknown> {
  status: number;
  body: T;
  /** Graph's usage headers (x-app-usage, x-business-use-case-usage, x-page-usage) as Graph sent them. */
  usage: Record<string, string>;
  /** The first token was refused mid-call and another admin's token answered. */
  failedOver: boolean;
}

export interface ClientOptions {
  /** Where `pagekeeper serve` listens, e.g. `https://pagekeeper.internal:3000`. */
  url: string;
  /** An API key from `pagekeeper api-keys create`. */
  key: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

export interface PageKeeperClient {
  listPages(): Promise<Page[]>;
  getPage(id: string): Promise<Page>;
  /** The raw Page token; prefer `graph()` so failover and invalidation stay inside pagekeeper. */
  getToken(id: string): Promise<string>;
  checkPage(id: string): Promise<Page>;
  sendMessage(pageId: string, body: SendMessageBody, options?: { idempotencyKey?: string }): Promise<QueuedMessage>;
  getMessage(id: string): Promise<Message>;
  reportTokenFailure(pageId: string, failure: { code: number; subcode?: number | null }): Promise<Ok<paths['/v1/pages/{id}/token-failures']['post']>>;
  /** A Graph call as the Page through pagekeeper's proxy; Facebook's refusals throw PageKeeperClientError. */
  graph<T = unknown>(pageId: string, method: 'GET' | 'POST' | 'DELETE', path: string, options?: { query?: Record<string, string>; body?: Record<string, unknown> }): Promise<GraphAnswer<T>>;
  createTenant(tenant: { id: string; name: string }): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  deleteTenant(id: string): Promise<void>;
  setTenantWebhooks(id: string, webhooks: BodyOf<paths['/v1/tenants/{id}/webhooks']['put']>): Promise<Ok<paths['/v1/tenants/{id}/webhooks']['put']>>;
  createConnectSession(input: BodyOf<paths['/v1/connect-sessions']['post']>): Promise<Ok<paths['/v1/connect-sessions']['post']>>;
  getConnectSession(id: string): Promise<ConnectSession>;
}

const USAGE = ['x-app-usage', 'x-business-use-case-usage', 'x-page-usage', 'x-ad-account-usage'];

export function createClient(options: ClientOptions): PageKeeperClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const enc = encodeURIComponent;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  function fail(status: number, body: unknown, graphCode?: string | null): never {
    const e = (body as { error?: { code?: unknown; message?: unknown; fix?: unknown } } | null)?.error;
    const code = graphCode ?? (typeof e?.code === 'string' ? e.code : `HTTP_${status}`);
    throw new PageKeeperClientError(status, code, typeof e?.message === 'string' ? e.message : `pagekeeper answered ${status}`, typeof e?.fix === 'string' ? e.fix : undefined, body);
  }

  async function json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const r = await call(method, path, body, headers);
    if (r.status >= 400) fail(r.status, r.body);
    return r.body as T;
  }

  return {
    listPages: async () => (await json<Ok<paths['/v1/pages']['get']>>('GET', '/v1/pages')).pages,
    getPage: (id) => json('GET', `/v1/pages/${enc(id)}`),
    getToken: async (id) => (await json<Ok<paths['/v1/pages/{id}/token']['get']>>('GET', `/v1/pages/${enc(id)}/token`)).accessToken,
    checkPage: (id) => json('POST', `/v1/pages/${enc(id)}/check`),
    sendMessage: (pageId, body, o = {}) => json('POST', `/v1/pages/${enc(pageId)}/messages`, body, o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
    getMessage: (id) => json('GET', `/v1/messages/${enc(id)}`),
    reportTokenFailure: (pageId, failure) => json('POST', `/v1/pages/${enc(pageId)}/token-failures`, failure),
    async graph<T>(pageId: string, method: 'GET' | 'POST' | 'DELETE', path: string, o: { query?: Record<string, string>; body?: Record<string, unknown> } = {}) {
      const query = o.query && Object.keys(o.query).length > 0 ? `?${new URLSearchParams(o.query).toString()}` : '';
      const clean = path.replace(/^\/+/, '').split('/').map(enc).join('/');
      const r = await call(method, `/v1/pages/${enc(pageId)}/graph/${clean}${query}`, method === 'POST' ? (o.body ?? {}) : undefined);
      if (r.status >= 400) fail(r.status, r.body, r.headers.get('x-pagekeeper-error'));
      const usage: Record<string, string> = {};
      for (const h of USAGE) {
        const v = r.headers.get(h);
        if (v !== null) usage[h] = v;
      }
      return { status: r.status, body: r.body as T, usage, failedOver: r.headers.get('x-pagekeeper-token-failover') === 'true' };
    },
    createTenant: (tenant) => json('POST', '/v1/tenants', tenant),
    listTenants: async () => (await json<Ok<paths['/v1/tenants']['get']>>('GET', '/v1/tenants')).tenants,
    deleteTenant: async (id) => void (await json('DELETE', `/v1/tenants/${enc(id)}`)),
    setTenantWebhooks: (id, webhooks) => json('PUT', `/v1/tenants/${enc(id)}/webhooks`, webhooks),
    createConnectSession: (input) => json('POST', '/v1/connect-sessions', input),
    getConnectSession: (id) => json('GET', `/v1/connect-sessions/${enc(id)}`),
  };
}
