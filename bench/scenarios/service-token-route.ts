/**
 * `GET /v1/pages/{id}/token` on the service sustains >= 0.6x the requests/s of a bare
 * Fastify route returning a constant, same machine, same run, keep-alive.
 *
 * Both servers run in their own child process started the same way (bench/lib/service-child.ts):
 * the service through bench/lib/bench-service.ts (buildServer over createPageKeeper on SQLite,
 * 100 connected Pages, a key with every scope, tokens:read included, request logging off), the
 * yardstick as Fastify's defaults with one constant route. autocannon drives each from the bench
 * process with the same connections and duration, interleaved repeat by repeat; any non-2xx
 * answer fails the run.
 */
import { compareLoads, requestsPerSecond } from '../lib/autocannon-run.js';
import { startChildServer } from '../lib/child-process.js';
import { plan } from '../lib/plan.js';
import { compareRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';

const CONNECTIONS = 50;
const ROW = { name: 'GET /v1/pages/{id}/token', unit: 'req/s', yardstick: 'bare Fastify constant route', target: '>= 0.6x' };

export const scenario: Scenario = {
  id: 'service-token-route',
  subject: 'service',
  rows: [ROW],
  run: async (ctx) => {
    const durationS = ctx.options.quick ? 3 : 5;
    const service = await startChildServer<{ apiKey: string; pageId: string }>('bench/lib/service-child.ts', ['--mode', 'service', '--pages', '100']);
    try {
      const bare = await startChildServer('bench/lib/service-child.ts', ['--mode', 'bare']);
      try {
        const { url, apiKey, pageId } = service.ready;
        const p = plan(ctx, { warmups: 1, repeats: 3 }, { warmups: 1, repeats: 1 });
        const results = await compareLoads(
          [
            { name: 'token route', load: (s) => requestsPerSecond({ url: `${url}/v1/pages/${pageId}/token`, headers: { authorization: `Bearer ${apiKey}` }, connections: CONNECTIONS, durationS: s }) },
            { name: 'bare Fastify', load: (s) => requestsPerSecond({ url: bare.ready.url, connections: CONNECTIONS, durationS: s }) },
          ],
          { ...p, durationS, warmupS: 2, log: ctx.log },
        );
        return [
          compareRow({
            ...ROW,
            pagekeeper: results.get('token route')!,
            yardstickOutcome: results.get('bare Fastify')!,
            minRatio: 0.6,
            note: `autocannon, ${CONNECTIONS} keep-alive connections, ${durationS} s per run, from the bench process; each server in its own child process; service via bench/lib/bench-service.ts, no request logging`,
          }),
        ];
      } finally {
        await bare.stop();
      }
    } finally {
      await service.stop();
    }
  },
};
