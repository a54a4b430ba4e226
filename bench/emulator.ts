/**
 * `npm run bench:emulator`: Send API throughput of the emulator over keep-alive connections,
 * limits disabled, with RSS before and after. Target: >= 8,000 req/s on 2 cores and
 * flat memory. Usage: tsx bench/emulator.ts [--seconds 10] [--connections 50] [--amount N]
 *
 * Memory soak: `--requests 1000000` sends that many requests in chunks of 100,000 (`--chunk N`) and prints RSS
 * and heap after each chunk (after a GC when run with `node --expose-gc`, e.g. `NODE_OPTIONS=--expose-gc`).
 * Flat numbers from chunk to chunk mean no per-request growth.
 */
import autocannon from 'autocannon';
import { startEmulator } from '../src/emulator/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const seconds = arg('seconds', 10);
const connections = arg('connections', 50);
const amount = arg('amount', 0);
const soakRequests = arg('requests', 0);
const chunk = arg('chunk', 100_000);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

const emu = await startEmulator();
try {
  const user = emu.users[0]!;
  const pageId = user.pages[0]!.id;
  await emu.control.setLimits({ enabled: false });
  const q = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: user.shortLivedToken });
  const long = (await (await fetch(`${emu.url}/v25.0/oauth/access_token?${q}`)).json()) as { access_token: string };
  const accounts = (await (await fetch(`${emu.url}/v25.0/me/accounts?access_token=${encodeURIComponent(long.access_token)}`)).json()) as {
    data: { id: string; access_token: string }[];
  };
  const pageToken = accounts.data.find((p) => p.id === pageId)!.access_token;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  const body = JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'benchmark message' } });

  const run = (duration: number, amountN?: number) =>
    autocannon({
      url: `${emu.url}/v25.0/${pageId}/messages?access_token=${encodeURIComponent(pageToken)}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      pipelining: 1,
      // The load generator runs in a worker thread so it does not share the emulator's event loop.
      workers: 1,
      ...(amountN ? { amount: amountN } : { duration }),
    });

  await run(2); // warm-up (JIT, ring buffer fill)
  if (soakRequests > 0) {
    await soak();
  } else {
    await throughput();
  }

  async function soak() {
    const mem = () => {
      global.gc?.();
      const m = process.memoryUsage();
      return { rss: m.rss, heap: m.heapUsed };
    };
    const start = mem();
    console.log(`soak: ${soakRequests} Send API requests, ${connections} connections, chunks of ${chunk}${global.gc ? '' : ' (no --expose-gc: RSS without a forced GC)'}`);
    console.log(`after warm-up: RSS ${mb(start.rss)}, heap ${mb(start.heap)}`);
    const rows: { requests: number; rss: number; heap: number; reqPerSec: number; non2xx: number }[] = [];
    let done = 0;
    while (done < soakRequests) {
      const n = Math.min(chunk, soakRequests - done);
      const r = await run(0, n);
      done += r.requests.total;
      const m = mem();
      rows.push({ requests: done, rss: m.rss, heap: m.heap, reqPerSec: Math.round(r.requests.average), non2xx: r.non2xx });
      console.log(`${String(done).padStart(9)} requests: RSS ${mb(m.rss)}, heap ${mb(m.heap)} (${Math.round(r.requests.average)} req/s, ${r.non2xx} non-2xx, ${r.errors} errors)`);
      if (r.requests.total === 0) throw new Error('autocannon sent nothing; stopping');
    }
    const rssGrowth = rows[rows.length - 1]!.rss - rows[0]!.rss;
    const heapGrowth = rows[rows.length - 1]!.heap - rows[0]!.heap;
    console.log(`RSS from the first to the last chunk: ${rssGrowth >= 0 ? '+' : ''}${mb(rssGrowth)}; heap ${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}`);
    console.log(JSON.stringify({ soak: { requests: done, connections, chunk, rows: rows.map((r) => ({ ...r, rss: mb(r.rss), heap: mb(r.heap) })) } }));
  }

  async function throughput() {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const result = await run(seconds, amount || undefined);
    global.gc?.();
    const after = process.memoryUsage().rss;
    const stats = await emu.control.stats();
    const line = {
      endpoint: 'POST /{page-id}/messages',
      connections,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      reqPerSec: Math.round(result.requests.average),
      latencyP99ms: result.latency.p99,
      rssBefore: mb(before),
      rssAfter: mb(after),
      emulatorCountedSends: stats.calls['POST /{page-id}/messages'],
    };
    console.log(`emulator Send API: ${line.reqPerSec} req/s (${line.requests} requests, ${line.non2xx} non-2xx, p99 ${line.latencyP99ms} ms); RSS ${line.rssBefore} -> ${line.rssAfter}`);
    console.log(JSON.stringify(line));
  }
} finally {
  await emu.close();
}
