/**
 * Control endpoints for the Messenger world beyond inbound messages (docs/emulator.md):
 * - `PUT /_emulator/app {"mode":"development"|"live"}` (default live) and `GET /_emulator/app`;
 * - `POST /_emulator/users/{id}/role {"role":"admin"|"developer"|"tester"|null}`: a role on the
 *   app for a person (an emulator user or a PSID that wrote to a Page);
 * - `POST /_emulator/pages/{id}/receipts {"psid","type":"delivery"|"read","watermark"?}`: the
 *   person's Messenger delivered or read what the Page sent up to `watermark` (ms, default now);
 *   sends the `message_deliveries` / `message_reads` webhook
 *   (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries,
 *   .../message-reads).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { APP_ROLES } from './app-mode.js';
import type { EmulatorState } from './state.js';
import type { DeliveryResult, RetryPolicy } from './webhooks.js';
import { deliverEvent } from './webhooks.js';

const roleInput = z.object({ role: z.enum(APP_ROLES).nullable() }).strict();
const receiptInput = z
  .object({ psid: z.string().regex(/^\d+$/, 'must be the numeric PSID of a person who wrote to the Page'), type: z.enum(['delivery', 'read']), watermark: z.number().int().positive().optional() })
  .strict();

export interface MessagingControlDeps {
  state: EmulatorState;
  now: () => number;
  webhook: () => { url: string; retry: RetryPolicy } | undefined;
  record: (url: string, result: DeliveryResult) => DeliveryResult;
  parse: <T>(schema: z.ZodType<T>, body: unknown) => T;
}

export function registerMessagingControl(app: FastifyInstance, deps: MessagingControlDeps): void {
  const { state, parse } = deps;

  // GET/PUT /_emulator/app (mode and type) live in business.ts.

  app.post<{ Params: { id: string } }>('/_emulator/users/:id/role', async (req, reply) => {
    const id = req.params.id;
    const known = state.users.has(id) || [...state.pages.values()].some((p) => p.psids.has(id) || p.instagram?.people.has(id) === true);
    if (!known) return reply.code(404).send({ error: `no user or person with id ${id}: create a user, or POST /_emulator/pages/{id}/inbound with {"psid":"${id}"} first` });
    const input = parse(roleInput, req.body);
    state.appMode.setRole(id, input.role);
    return { id, role: input.role };
  });

  app.post<{ Params: { id: string } }>('/_emulator/pages/:id/receipts', async (req, reply) => {
    const page = state.pages.get(req.params.id);
    if (!page) return reply.code(404).send({ error: `no page with id ${req.params.id}` });
    const input = parse(receiptInput, req.body);
    if (!page.psids.has(input.psid)) return reply.code(404).send({ error: `no conversation with psid ${input.psid} on page ${page.id}: POST /_emulator/pages/${page.id}/inbound first` });
    const t = deps.now();
    const watermark = input.watermark ?? t;
    const hook = deps.webhook();
    if (!hook) return { delivered: false, watermark };
    let event: Record<string, unknown>;
    if (input.type === 'delivery') {
      const mids = state
        .sentInOrder(page)
        .filter((m) => m.recipientId === input.psid && m.messageId !== '' && Date.parse(m.at) <= watermark)
        .map((m) => m.messageId);
      event = { sender: { id: input.psid }, recipient: { id: page.id }, delivery: { mids, watermark } };
    } else {
      event = { sender: { id: input.psid }, recipient: { id: page.id }, timestamp: t, read: { watermark } };
    }
    const payload = { object: 'page', entry: [{ id: page.id, time: t, messaging: [event] }] };
    const result = deps.record(hook.url, await deliverEvent(hook.url, state.app.secret, payload, hook.retry, deps.now));
    return { delivered: result.delivered, watermark, ...(result.status !== undefined ? { webhookStatus: result.status } : {}) };
  });
}
