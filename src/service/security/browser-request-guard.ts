import type { FastifyReply, FastifyRequest } from 'fastify';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The host name of a Host header value, without the port. */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

/** Whether a Host header names this machine's loopback interface (and not a name that merely resolves there). */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOSTS.has(hostName(host));
}

/**
 * Whether a state-changing browser request comes from this site. Browsers send
 * `Sec-Fetch-Site` (https://www.w3.org/TR/fetch-metadata/) and `Origin` on form posts; a request
 * from another site is refused whatever cookie or token it carries. A request without either
 * header does not come from a modern browser's cross-site form (curl, tests) and is let through
 * to the session and CSRF checks.
 */
export function isSameSitePost(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (typeof origin !== 'string' || origin === 'null') return false;
  const own = new Set([`${request.protocol}://${request.host}`.toLowerCase()]);
  if (publicUrl !== undefined) {
    try {
      own.add(new URL(publicUrl).origin.toLowerCase());
    } catch {
      // a malformed public URL adds nothing
    }
  }
  return own.has(origin.toLowerCase());
}

/**
 * onRequest hook for the browser-facing routes (dashboard, connect): with `--dev` (dashboard open
 * without login) only loopback Host values are answered, so a DNS-rebinding page on another
 * name cannot read it; every POST must come from this site.
 */
export function browserRequestGuard(opts: { dev: boolean; publicUrl: () => string | undefined }) {
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (opts.dev && !isLoopbackHost(request.headers.host)) {
      void reply.code(421).type('text/plain; charset=utf-8').send('pagekeeper --dev answers only on 127.0.0.1, localhost or [::1]');
      return;
    }
    if (request.method === 'POST' && !isSameSitePost(request, opts.publicUrl())) {
      void reply.code(403).type('text/plain; charset=utf-8').send('Cross-site request refused');
      return;
    }
    done();
  };
}
