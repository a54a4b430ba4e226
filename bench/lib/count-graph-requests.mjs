/**
 * Preloaded into the measured `node dist/cli/main.js serve` (`node --import` this file): counts
 * the HTTP requests the process sends to PAGEKEEPER_GRAPH_URL (undici's diagnostics channel, as
 * bench/lib/http-counter.ts does in the bench process; the emulator's control API excluded) and,
 * on SIGUSR2, prints `{"event":"graph_requests","count":N}` on stdout. A subscriber and a number:
 * nothing that changes what serve holds in memory.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';

const graph = process.env.PAGEKEEPER_GRAPH_URL ? new URL(process.env.PAGEKEEPER_GRAPH_URL).origin : undefined;
let count = 0;
subscribe('undici:request:create', ({ request }) => {
  if (graph !== undefined && new URL(String(request.origin)).origin === graph && !request.path.startsWith('/_emulator')) count++;
});
process.on('SIGUSR2', () => writeSync(1, `${JSON.stringify({ event: 'graph_requests', count })}\n`));
