/**
 * Control endpoints for the Messenger world beyond inbound messages (docs/emulator.md):
 * - (`PUT /_emulator/app {"mode":"development"|"live"}`, default live, is served with the app's
 *   other settings in business.ts);
 * - `POST /_emulator/users/{id}/role {"role":"admin"|"developer"|"tester"|null}`: a role on the
 *   app for a person (an emulator user or a PSID that wrote to a Page);
 * - `POST /_emulator/pages/{id}/receipts {"psid","type":"delivery"|"read","watermark"?}`: the
 *   person's Messenger delivered or read what the Page sent up to `watermark` (ms, default now);
 *   sends the `message_deliveries` / `message_reads` webhook, when the app and the Page are both
 *   subscribed to that field
 *   (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries,
 *   .../message-reads).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { APP_ROLES } from './app-mode.js';
import type { EmulatorState, Page } from './state.js';
import type { DeliveryTarget } from './subscriptions.js';
import type { DeliveryResult, RetryPolicy } from './webhooks.js';
import { deliverEvent } from './webhooks.js';

const roleInput = z.object({ role: z.enum(APP_ROLES).nullable() }).strict();
const receiptInput = z
  .object({ psid: z.string().regex(/^\d+$/, 'must be the numeric PSID of a person who wrote to the Page'), type: z.enum(['delivery', 'read']), watermark: z.number().int().positive().optional() })
  .strict();

export interface MessagingControlDeps {
  state: EmulatorState;
  now: () => number;
  retry: () => RetryPolicy;
  /** Where a Page's event for `field` goes: only when the app and the Page are both subscribed to it (subscriptions.ts). */
  target: (page: Page, field: string) => DeliveryTarget;
  /** Records a delivery (GET /_emulator/webhook, the subscription's failure clock). */
  delivered: (target: Extract<DeliveryTarget, { url: string }>, result: DeliveryResult) => void;
  parse: <T>(schema: z.ZodType<T>, body: unknown) => T;
}

export function registerMessagingControl(app: FastifyInstance, deps: MessagingControlDeps): void {
  const { state, parse } = deps;

  app.post<{ Params: { id: string } }>('/_emulator/users/:id/role', async (req, reply) => {
    const id = req.params.id;
    const known = state.users.has(id) || [...state.pages.values()].some((p) => p.psids.has(id));
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
    const target = deps.target(page, input.type === 'delivery' ? 'message_deliveries' : 'message_reads');
    if (!('url' in target)) return { delivered: false, watermark, notDelivered: target.skipped };
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
    const result = await deliverEvent(target.url, state.app.secret, payload, deps.retry(), deps.now);
    deps.delivered(target, result);
    return { delivered: result.delivered, watermark, ...(result.status !== undefined ? { webhookStatus: result.status } : {}) };
  });
}
