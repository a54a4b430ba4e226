/**
 * The `method` parameter: Facebook runs a request as the method it names rather than the HTTP
 * verb it arrived with. The PHP SDK and others POST every call with `method=GET|POST|DELETE` in
 * the body; browsers and the old JavaScript SDK sent `?method=post` or `?method=delete` on a GET.
 * Both places are read (the body wins, as for every other parameter). See docs/emulator.md
 * "Method override".
 */
import type { GraphErrorSpec } from './graph-error.js';

const OVERRIDABLE = new Set(['GET', 'POST']);
const ALLOWED = new Set(['GET', 'POST', 'DELETE']);

export type MethodDecision = { method: string; params: Record<string, unknown> } | { error: GraphErrorSpec };

/** The method a Graph request runs as, and its parameters without `method`. */
export function effectiveMethod(httpMethod: string, params: Record<string, unknown>): MethodDecision {
  const raw = params.method;
  if (raw === undefined || !OVERRIDABLE.has(httpMethod)) return { method: httpMethod, params };
  const named = (Array.isArray(raw) ? raw[raw.length - 1] : raw) as unknown;
  const method = typeof named === 'string' ? named.trim().toUpperCase() : '';
  if (!ALLOWED.has(method)) {
    // Facebook's answer to an unknown `method` value is not documented (unverified); the emulator
    // refuses it with code 100 rather than guessing what the caller meant.
    return { error: { code: 100, message: `(#100) Unsupported method "${String(named).slice(0, 20)}": the method parameter must be GET, POST or DELETE` } };
  }
  const rest = { ...params };
  delete rest.method;
  return { method, params: rest };
}
