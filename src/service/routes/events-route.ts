import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventHub, HubEvent } from '../webhooks/event-hub.js';

export const SSE_HEARTBEAT_MS = 15_000;
/** A subscriber more than this many bytes behind is cut off rather than buffered forever. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * `GET /v1/events`: verified webhook bodies as server-sent events
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html), `event: messenger`.
 * A comment line every 15 s keeps proxies and the socket timeout from closing an idle stream.
 */
export function eventsRoute(
  app: FastifyInstance,
  opts: {
    hub: EventHub;
    preHandler: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
    headers: Record<string, string>;
    /** What of an event this subscriber may see (its tenant's part), or nothing. */
    filter?: (request: FastifyRequest, e: HubEvent) => HubEvent | undefined;
  },
): void {
  app.get('/v1/events', { preHandler: opts.preHandler }, async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...opts.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      offClose();
      if (!res.writableEnded) res.end();
    };
    const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    const unsubscribe = opts.hub.subscribe((event) => {
      const e = opts.filter ? opts.filter(request, event) : event;
      if (e === undefined) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) return end();
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    });
    const offClose = opts.hub.onClose(end);
    request.raw.on('close', end);
  });
}
