/**
 * Requests/s of an HTTP server with autocannon, run from the bench process against a server in a
 * child process (so load generator and server never share an event loop), keep-alive
 * connections. Every answer must be 2xx: a run with errors, timeouts or non-2xx answers throws,
 * so a refusing server can never look fast.
 */
import autocannon from 'autocannon';
import { formatNumber, summarize, type Summary } from './measure.js';

export interface LoadOptions {
  url: string;
  /** Cycled through per connection; each may carry its own method, headers and body. */
  requests?: autocannon.Request[];
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
}

export async function requestsPerSecond(o: LoadOptions): Promise<number> {
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationS,
    pipelining: 1,
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.requests ? { requests: o.requests } : {}),
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${o.url.replace(/\?.*/, '')}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts of ${result.requests.total}`);
  if (result.requests.total === 0) throw new Error(`${o.url}: no request completed`);
  // Completed requests over the measured time, not the per-second histogram's mean, which
  // drops the last partial second.
  return result.requests.total / (result.duration || o.durationS);
}

export interface LoadContender {
  name: string;
  load: (durationS: number) => Promise<number>;
}

/**
 * Each contender's req/s over `repeats` runs after `warmups` short untimed ones, interleaved
 * repeat by repeat (as compareRates does), so drift of a shared machine hits all of them.
 */
export async function compareLoads(
  contenders: LoadContender[],
  o: { warmups: number; repeats: number; durationS: number; warmupS: number; log?: (m: string) => void },
): Promise<Map<string, Summary | Error>> {
  const samples = new Map<string, number[]>();
  const errors = new Map<string, Error>();
  const attempt = async (c: LoadContender, seconds: number, label: string) => {
    if (errors.has(c.name)) return;
    try {
      const rate = await c.load(seconds);
      o.log?.(`  ${c.name}: ${formatNumber(rate)}/s (${label})`);
      if (label !== 'warm-up') samples.set(c.name, [...(samples.get(c.name) ?? []), rate]);
    } catch (e) {
      errors.set(c.name, e instanceof Error ? e : new Error(String(e)));
      o.log?.(`  ${c.name}: failed: ${errors.get(c.name)!.message}`);
    }
  };
  for (let w = 0; w < o.warmups; w++) for (const c of contenders) await attempt(c, o.warmupS, 'warm-up');
  for (let r = 0; r < o.repeats; r++) for (const c of contenders) await attempt(c, o.durationS, `repeat ${r + 1}/${o.repeats}`);
  const out = new Map<string, Summary | Error>();
  for (const c of contenders) {
    const list = samples.get(c.name);
    out.set(c.name, errors.get(c.name) ?? (list ? summarize(list) : new Error('no samples')));
  }
  return out;
}
