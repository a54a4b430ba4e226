/**
 * What one API key reaches, resolved once per request in the authentication hook: its tenant's
 * data (an admin key, without a tenant, reaches the default tenant as before tenants existed)
 * and, for a key created with `--pages`, only those Pages. Every Page route asks
 * `pageVisibleTo(reach, pageId)` and answers 404 for anything outside, exactly as for a Page
 * that is not connected, so ids of other tenants' Pages do not leak.
 */
import type { FastifyRequest } from 'fastify';
import { pkError } from '../../errors.js';
import type { ApiKeyRecord } from '../api-keys/create-api-key-store.js';
import type { ServiceDeps } from '../deps.js';
import type { TenantRuntime } from './tenant-registry.js';

export interface Reach {
  /** null: an admin key (no tenant). */
  readonly tenantId: string | null;
  /** The Pages the key is limited to; null: every Page of its tenant. */
  readonly pageIds: ReadonlySet<string> | null;
  /** The data the key works on: its tenant's. */
  readonly deps: ServiceDeps;
  /** The tenant as the process holds it (absent for a service built without tenants). */
  readonly tenant: TenantRuntime | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    reach?: Reach;
  }
}

export function pageVisibleTo(reach: Reach, pageId: string): boolean {
  return reach.pageIds === null || reach.pageIds.has(pageId);
}

/** 404 PK_PAGE_NOT_FOUND unless the Page is within reach (the same answer as for an unknown Page). */
export function requireVisible(reach: Reach, pageId: string): void {
  if (!pageVisibleTo(reach, pageId)) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
}

function reachOfTenant(key: ApiKeyRecord, deps: ServiceDeps, tenant: TenantRuntime | undefined): Reach {
  return { tenantId: key.tenantId, pageIds: key.pageIds === null ? null : new Set(key.pageIds), deps: tenant?.deps ?? deps, tenant };
}

/**
 * The key's reach: at once when its tenant is open in this process, else a promise. A key whose
 * tenant no longer exists is refused like a revoked key (401).
 */
export function resolveReach(key: ApiKeyRecord, deps: ServiceDeps): Reach | Promise<Reach> {
  const registry = deps.tenants;
  if (key.tenantId === null) return reachOfTenant(key, deps, registry?.root);
  if (!registry) return Promise.reject(pkError('PK_UNAUTHORIZED'));
  const open = registry.loaded(key.tenantId);
  if (open) return reachOfTenant(key, deps, open);
  return registry.get(key.tenantId).then((t) => {
    if (!t) throw pkError('PK_UNAUTHORIZED');
    return reachOfTenant(key, deps, t);
  });
}

/** The reach the hook attached; routes without a key (public ones) see the default tenant. */
export function reachOf(request: FastifyRequest, deps: ServiceDeps): Reach {
  return request.reach ?? { tenantId: null, pageIds: null, deps, tenant: deps.tenants?.root };
}
