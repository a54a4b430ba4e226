/**
 * Issue 6: `GET /v1/pages/{id}/token` on `pagekeeper serve` sustains >= 0.6x the requests/s of a
 * bare Fastify route returning a constant (same machine, same run, keep-alive), both measured
 * with autocannon (e.g. 50 connections, 5 s each).
 */
import { pendingScenario } from '../lib/pending.js';

export const scenario = pendingScenario({
  id: 'service-token-route',
  issue: 6,
  rows: [{ name: 'GET /v1/pages/{id}/token', unit: 'req/s', yardstick: 'bare Fastify constant route', target: '>= 0.6x' }],
  waitsFor: 'a stable way to start the service with an API key: `pagekeeper serve --port 0 --json` + `pagekeeper api-keys create --scopes tokens:read --json` (issue 6)',
  plan: 'serve as a child process on a connected database, autocannon with Authorization: Bearer <key>; the yardstick is Fastify({}).get("/", () => "ok") in its own child process',
});
