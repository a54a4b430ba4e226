import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceDeps } from '../deps.js';
import { apiRoute, type AnyApiRoute } from '../server/route-table.js';

/**
 * `POST /v1/pages/{id}/inbound {"psid","at"?}`: an app with its own webhook receiver tells
 * pagekeeper that a person wrote to the Page (at `at`, default now), which opens the Messenger
 * window for sends through pagekeeper without asking Facebook
 * (https://developers.facebook.com/docs/messenger-platform/policy/policy-overview#24hours_window).
 * A time in the future counts as now; a window never moves backwards.
 */
export const InboundBodySchema = z
  .object({
    psid: z.string().regex(/^\d{1,32}$/, 'must be the numeric PSID of the person (sender.id of their webhook event)'),
    at: z
      .union([z.iso.datetime({ offset: true }), z.number().int().positive()])
      .optional()
      .describe('When the person wrote: ISO 8601 time or milliseconds since 1970; default now'),
  })
  .strict()
  .describe('{"psid":"<PSID>","at":"2026-06-10T12:00:00Z"}');

const InboundResponseSchema = z.object({ pageId: z.string(), psid: z.string(), at: z.string() });

/**
 * @param requirePage refuses a Page the key may not see (404) or that is not connected.
 * @param depsFor the deps of the key's tenant, where the person's window is recorded.
 */
export function inboundRoute(
  params: z.ZodType<{ id: string }>,
  requirePage: (request: FastifyRequest, id: string) => Promise<unknown>,
  depsFor: (request: FastifyRequest) => Pick<ServiceDeps, 'recordInbound'>,
): AnyApiRoute {
  return apiRoute({
    method: 'POST',
    url: '/v1/pages/{id}/inbound',
    summary: 'Record that a person wrote to the Page (opens the messaging window)',
    scope: 'messages:write',
    params,
    body: InboundBodySchema,
    responses: {
      200: { description: 'Recorded', schema: InboundResponseSchema },
      400: { description: 'Malformed PSID or time' },
      404: { description: 'Not connected' },
    },
    handler: async ({ params: p, body, request }) => {
      await requirePage(request, p.id);
      const now = Date.now();
      const given = body.at === undefined ? now : typeof body.at === 'number' ? body.at : Date.parse(body.at);
      const at = new Date(Math.min(given, now));
      await depsFor(request).recordInbound([{ pageId: p.id, psid: body.psid, at }]);
      return { pageId: p.id, psid: body.psid, at: at.toISOString() };
    },
  });
}
