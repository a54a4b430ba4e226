/**
 * The two servers of the service benchmarks, each run as its own child process by
 * bench/lib/child-process.ts, started the same way:
 *
 *   service: bench/lib/bench-service.ts `startBenchService` (the real service: buildServer over
 *            createPageKeeper on SQLite, N connected Pages, an API key with every scope, request
 *            logging off as with PAGEKEEPER_LOG_LEVEL=warn), plus `bodies` webhook bodies that
 *            differ a little (sender, mid, text), each signed over its exact bytes; `--database
 *            sqlite:FILE` puts the service's rows in a file instead of memory.
 *   bare:    `startBareFastify`, Fastify's defaults and one route answering a constant.
 *
 * Prints one JSON ready line and stops on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { tuneServeHeap } from '../../src/cli/serve-heap.js';

const { values } = parseArgs({
  options: { mode: { type: 'string', default: 'service' }, pages: { type: 'string', default: '100' }, bodies: { type: 'string', default: '16' }, database: { type: 'string' } },
});

function webhookBody(pageId: string, i: number): string {
  const at = Date.now() + i;
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: at,
        messaging: [{ sender: { id: `${7100000000000000 + i}` }, recipient: { id: pageId }, timestamp: at, message: { mid: `m_bench_${i}_${at}`, text: `Is it open today? (${i})` } }],
      },
    ],
  });
}

async function main(): Promise<void> {
  // The service runs with serve's heap settings (src/cli/serve-heap.ts), applied as serve
  // applies them: before the service's modules load. The bare server keeps V8's defaults.
  if (values.mode !== 'bare') tuneServeHeap();
  const { startBareFastify, startBenchService } = await import('./bench-service.js');
  if (values.mode === 'bare') {
    const bare = await startBareFastify();
    process.stdout.write(`${JSON.stringify({ url: bare.url })}\n`);
    process.once('SIGTERM', () => void bare.close().then(() => process.exit(0)));
    return;
  }
  const svc = await startBenchService({ pages: Number(values.pages), ...(values.database === undefined ? {} : { database: values.database }) });
  const webhooks = Array.from({ length: Number(values.bodies) }, (_, i) => {
    const body = webhookBody(svc.pageId, i);
    return { body, signature: svc.sign(body) };
  });
  process.stdout.write(`${JSON.stringify({ url: svc.url, apiKey: svc.apiKey, pageId: svc.pageId, webhookPath: svc.webhook.path, webhooks })}\n`);
  process.once('SIGTERM', () => void svc.close().then(() => process.exit(0)));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
