import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventHub } from '../webhooks/event-hub.js';

export const SSE_HEARTBEAT_MS = 15_000;
/**
 * How often an open stream asks again whether its key is still valid and still has
 * `events:read`. The key lookup cache keeps an answer for 2 s, so a revoke made by another
 * process (the CLI) closes the stream within about 3 s; one made through this service at once
 * on the next check.
 */
export const SSE_RECHECK_MS = 1_000;
/** A stream is closed after this; the client reconnects (EventSource does so by itself) and authenticates again. */
export const SSE_MAX_LIFE_MS = 60 * 60 * 1000;
/** A subscriber more than this many bytes behind is cut off rather than buffered forever. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventsRouteOptions {
  hub: EventHub;
  preHandler: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  headers: Record<string, string>;
  /** Whether the request's key still may read events (not revoked, scope kept). Never throws. */
  stillAllowed: (req: FastifyRequest) => Promise<boolean>;
  recheckMs?: number;
  maxLifeMs?: number;
}

/**
 * `GET /v1/events`: verified webhook bodies as server-sent events
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html), `event: messenger`, and
 * outbox state changes as `event: message.status` (src/messenger/outcome-events.ts).
 * A comment line every 15 s keeps proxies and the socket timeout from closing an idle stream.
 * The stream carries message text, so it ends when its key is revoked or loses its scope
 * (`event: revoked`, then the connection closes), and after SSE_MAX_LIFE_MS in any case.
 */
export function eventsRoute(app: FastifyInstance, opts: EventsRouteOptions): void {
  const recheckMs = opts.recheckMs ?? SSE_RECHECK_MS;
  const maxLifeMs = opts.maxLifeMs ?? SSE_MAX_LIFE_MS;
  app.get('/v1/events', { preHandler: opts.preHandler }, async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...opts.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearInterval(recheck);
      clearTimeout(lifetime);
      unsubscribe();
      offClose();
      if (!res.writableEnded) res.end();
    };
    const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    let checking = false;
    const recheck = setInterval(() => {
      if (checking || ended) return;
      checking = true;
      void opts
        .stillAllowed(request)
        .catch(() => false)
        .then((ok) => {
          checking = false;
          if (ok || ended) return;
          // Nothing more is written once the key is gone; the client learns why and stops.
          res.write('event: revoked\ndata: {"code":"PK_UNAUTHORIZED"}\n\n');
          end();
        });
    }, recheckMs);
    recheck.unref();
    // `retry` tells EventSource how soon to come back; it then authenticates afresh.
    const lifetime = setTimeout(() => {
      res.write('retry: 1000\n: stream lifetime reached, reconnect\n\n');
      end();
    }, maxLifeMs);
    lifetime.unref();
    const unsubscribe = opts.hub.subscribe((e) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) return end();
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    });
    const offClose = opts.hub.onClose(end);
    request.raw.on('close', end);
  });
}
