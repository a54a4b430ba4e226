import type { FastifyInstance, FastifyReply } from 'fastify';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../core/json-depth.js';
import type { ServiceDeps } from '../deps.js';
import { safeEqual } from '../security/signed-value.js';
import { verifyWebhookSignature } from '../security/verify-webhook-signature.js';
import type { EventHub } from '../webhooks/event-hub.js';
import type { Forwarder } from '../webhooks/create-forwarder.js';
import type { InboundBatcher } from '../webhooks/create-inbound-batcher.js';
import type { TenantEvents } from '../tenants/tenant-events.js';
import { inboundContacts, receiptEvents, WebhookBodySchema } from '../webhooks/webhook-event.js';

export interface WebhookRouteOptions {
  deps: ServiceDeps;
  hub: EventHub;
  forwarder: Forwarder | undefined;
  /** Writes the 24-hour-window contacts after the answer, batched per event-loop turn. */
  inbound: InboundBatcher;
  /** Forwards each tenant its own Pages' entries (src/service/tenants/tenant-events.ts). */
  tenantEvents?: TenantEvents;
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string) {
  return reply.code(status).send({ error: { code: 'PK_WEBHOOK_SIGNATURE', message } });
}

/**
 * Messenger webhooks (docs/graph-api.md "Webhooks";
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 * Registered in their own encapsulated scope: here, and only here, bodies stay raw Buffers so
 * the signature is checked over exactly the bytes Facebook signed.
 */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const { deps, hub, forwarder } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Instagram DMs come to the same handlers: Meta's App Dashboard takes one callback URL per
  // product, and /webhooks/instagram lets the Instagram product point at a path of its own.
  for (const path of ['/webhooks/messenger', '/webhooks/instagram']) {
    app.get(path, async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const expected = deps.config.verifyToken;
      const token = q['hub.verify_token'];
      const challenge = q['hub.challenge'];
      if (
        expected === undefined ||
        q['hub.mode'] !== 'subscribe' ||
        typeof token !== 'string' ||
        !safeEqual(token, expected) ||
        typeof challenge !== 'string' ||
        !/^[A-Za-z0-9_-]{1,256}$/.test(challenge)
      ) {
        return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden');
      }
      // The challenge is echoed as the whole body, as plain text (never HTML: it is caller-chosen).
      return reply.code(200).type('text/plain; charset=utf-8').send(challenge);
    });

    app.post(path, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['x-hub-signature-256'];
      const secret = deps.config.appSecret;
      if (header === undefined) return refuse(reply, 401, 'The X-Hub-Signature-256 header is missing');
      if (secret === undefined || !verifyWebhookSignature(raw, header, secret)) return refuse(reply, 403, 'The webhook signature is wrong');

      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply.code(400).send({ error: { code: 'PK_VALIDATION', message: 'Invalid request: the webhook body is not JSON' } });
      }
      // Signed does not mean sane: a body nested past any real event would overflow the stack of
      // the validator, the event stream's JSON.stringify or the forwarder's receiver.
      if (nestedDeeperThan(parsed)) return reply.code(400).send({ error: { code: 'PK_VALIDATION', message: `Invalid request: the webhook body nests more than ${MAX_JSON_DEPTH} levels deep` } });
      const body = WebhookBodySchema.safeParse(parsed);
      if (!body.success) return reply.code(400).send({ error: { code: 'PK_VALIDATION', message: 'Invalid request: not a webhook event body' } });

      // Answer Facebook first; nothing here waits for the database or the network (it must hear
      // back within 5 s, and a per-event write awaited here capped throughput).
      const contacts = inboundContacts(body.data, new Date());
      if (contacts.length > 0) opts.inbound.add(contacts);
      const receipts = receiptEvents(body.data);
      if (receipts.length > 0 && deps.recordReceipts) {
        deps.recordReceipts(receipts).catch((e: unknown) => request.log.error({ err: e instanceof Error ? e.message : String(e) }, 'recording delivery/read receipts failed'));
      }
      forwarder?.forward(raw);
      opts.tenantEvents?.webhook(parsed);
      // Instagram bodies stream as `event: instagram` with `channel: "instagram"` in the data.
      if (body.data.object === 'instagram') hub.publish('instagram', { ...(parsed as object), channel: 'instagram' });
      else hub.publish('messenger', parsed);
      return reply.code(200).type('text/plain; charset=utf-8').send('EVENT_RECEIVED');
    });
  }
}
