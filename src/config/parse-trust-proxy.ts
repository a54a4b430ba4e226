import { isIP } from 'node:net';

/** Names proxy-addr (Fastify's `trustProxy`) understands for whole address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 20;

/**
 * PAGEKEEPER_TRUST_PROXY as Fastify's `trustProxy` (https://fastify.dev/docs/latest/Reference/Server/#trustproxy):
 * a hop count (`1`), or a comma-separated list of proxy addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`. "Trust everyone" (`true`) is refused: any client could
 * then pick its own address with X-Forwarded-For.
 * @returns the value, or a sentence saying what is wrong.
 */
export function parseTrustProxy(text: string): { value: string[] | number } | { error: string } {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const hops = Number(t);
    if (hops < 1 || hops > MAX_HOPS) return { error: `PAGEKEEPER_TRUST_PROXY as a hop count must be 1 to ${MAX_HOPS}` };
    return { value: hops };
  }
  const entries = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) return { error: 'PAGEKEEPER_TRUST_PROXY must be a hop count or a list of proxy addresses' };
  for (const e of entries) {
    if (RANGE_NAMES.has(e)) continue;
    const [address, bits, extra] = e.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      return { error: `PAGEKEEPER_TRUST_PROXY entry ${entries.indexOf(e) + 1} is not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal` };
    }
  }
  return { value: entries };
}
