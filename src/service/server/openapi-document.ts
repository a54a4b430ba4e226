import type { ServiceDeps } from '../deps.js';
import { apiRoutes } from '../routes/api-routes.js';
import { graphProxyOpenApi } from '../routes/graph-proxy-route.js';
import { tenantRoutes } from '../routes/tenant-routes.js';
import { buildOpenApi } from './route-table.js';

/**
 * /openapi.json without a running service (the routes only read their deps when called): what
 * `npm run client:types` turns into the typed client's types.
 */
export function openApiDocument(version: string, serverUrl?: string): unknown {
  const deps = {} as ServiceDeps;
  return buildOpenApi([...apiRoutes(deps), ...tenantRoutes(deps)], { version, ...(serverUrl ? { serverUrl } : {}), extraPaths: graphProxyOpenApi() });
}
