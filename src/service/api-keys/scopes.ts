/**
 * What an API key may do. Small on purpose: each scope maps to a clear risk.
 * - pages:read      list pages and their health (no secrets)
 * - pages:check     run a health check now (calls Facebook, spends rate budget)
 * - tokens:read     read a Page's decrypted token (the most sensitive)
 * - messages:write  queue messages and read their delivery status
 * - events:read     receive the webhook event stream (GET /v1/events)
 * - tenants:admin   create, list and delete tenants and set their webhooks
 * - connect:write   create connect links for a tenant's customer
 * - graph:proxy     call Graph as a Page through pagekeeper (the token stays inside)
 * - pages:manage    remove a Page (its tokens deleted) and subscribe it to webhooks again
 */
export const SCOPES = ['pages:read', 'pages:check', 'tokens:read', 'messages:write', 'events:read', 'tenants:admin', 'connect:write', 'graph:proxy', 'pages:manage'] as const;
export type Scope = (typeof SCOPES)[number];

/** Given to a key created without --scopes: read-only and no tokens. */
export const DEFAULT_SCOPES: readonly Scope[] = ['pages:read'];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** Parses `a,b,c`; unknown or empty names are reported, duplicates dropped. */
export function parseScopes(text: string): { scopes: Scope[]; unknown: string[] } {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const scopes = [...new Set(names.filter(isScope))];
  const unknown = names.filter((s) => !isScope(s));
  return { scopes, unknown };
}

/** Whether a key holding `granted` may use a route needing `needed`. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes(needed);
}
