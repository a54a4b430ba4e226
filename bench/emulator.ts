/**
 * `npm run bench:emulator`: Send API throughput of the emulator over keep-alive connections,
 * limits disabled, with RSS before and after. Target (issue 2): >= 8,000 req/s on 2 cores and
 * flat memory. Usage: tsx bench/emulator.ts [--seconds 10] [--connections 50] [--amount N]
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
} finally {
  await emu.close();
}
