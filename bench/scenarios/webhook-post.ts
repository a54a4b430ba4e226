/**
 * `POST /webhooks/messenger` with X-Hub-Signature-256 verification sustains >= 5,000
 * events/s.
 *
 * The service runs in a child process (bench/lib/service-child.ts over
 * bench/lib/bench-service.ts, request logging off). autocannon posts 16 bodies in turn, each a
 * one-event messaging body from a different sender with its own mid and text, each signed with
 * the app secret over its exact bytes (`sha256=<hex>`). Every answer must be 200: a 401/403
 * (signature refused) or 400 fails the run. One body is one event, so requests/s = events/s.
 */
import { compareLoads, requestsPerSecond } from '../lib/autocannon-run.js';
import { startChildServer } from '../lib/child-process.js';
import { plan } from '../lib/plan.js';
import { limitRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';

const CONNECTIONS = 50;
const MIN_EVENTS_PER_S = 5_000;
const ROW = { name: 'POST /webhooks/messenger (signed)', unit: 'events/s', yardstick: 'target', target: '>= 5,000 events/s' };

export const scenario: Scenario = {
  id: 'webhook-post',
  issue: 6,
  rows: [ROW],
  run: async (ctx) => {
    const durationS = ctx.options.quick ? 3 : 5;
    const service = await startChildServer<{ webhookPath: string; webhooks: Array<{ body: string; signature: string }> }>('bench/lib/service-child.ts', ['--mode', 'service', '--pages', '10', '--bodies', '16']);
    try {
      const { url, webhookPath, webhooks } = service.ready;
      const requests = webhooks.map((w) => ({ method: 'POST' as const, path: webhookPath, headers: { 'content-type': 'application/json', 'x-hub-signature-256': w.signature }, body: w.body }));
      const p = plan(ctx, { warmups: 1, repeats: 3 }, { warmups: 1, repeats: 1 });
      const results = await compareLoads([{ name: 'signed webhook', load: (s) => requestsPerSecond({ url, requests, connections: CONNECTIONS, durationS: s }) }], { ...p, durationS, warmupS: 2, log: ctx.log });
      return [
        limitRow({
          ...ROW,
          value: results.get('signed webhook')!,
          kind: 'min',
          limit: MIN_EVENTS_PER_S,
          note: `autocannon, ${CONNECTIONS} keep-alive connections, ${durationS} s per run, ${webhooks.length} distinct signed one-event bodies in turn; every answer 200`,
        }),
      ];
    } finally {
      await service.stop();
    }
  },
};
