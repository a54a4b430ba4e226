/**
 * Control endpoints for the Messenger Platform APIs of messenger-platform.ts (docs/emulator.md):
 * - `PUT /_emulator/pages/{id}/people/{psid}` `{"first_name"?, "last_name"?, "profile_pic"?, "locale"?,
 *   "timezone"?, "gender"?, "available"?}`: who Facebook says the person behind a PSID is
 *   (`available: false`: Facebook has no profile for them);
 * - `GET /_emulator/pages/{id}/messenger-profile`: the Page's Messenger Profile as stored, without
 *   spending one of its 10 calls per 10 minutes;
 * - `GET /_emulator/pages/{id}/attachments`: what was uploaded through `/me/message_attachments`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { MessengerPlatform } from './messenger-platform.js';
import type { EmulatorState } from './state.js';

const personInput = z
  .object({
    first_name: z.string().max(200).optional(),
    last_name: z.string().max(200).optional(),
    profile_pic: z.string().max(2000).optional(),
    locale: z.string().max(20).optional(),
    timezone: z.number().min(-24).max(24).optional(),
    gender: z.string().max(50).optional(),
    available: z.boolean().optional(),
  })
  .strict();

export function registerPlatformControl(app: FastifyInstance, deps: { state: EmulatorState; platform: MessengerPlatform; parse: <T>(schema: z.ZodType<T>, body: unknown) => T }): void {
  const { state, platform } = deps;
  app.put<{ Params: { id: string; psid: string } }>('/_emulator/pages/:id/people/:psid', async (req, reply) => {
    const page = state.pages.get(req.params.id);
    if (!page) return reply.code(404).send({ error: `no page with id ${req.params.id}` });
    if (!page.psids.has(req.params.psid)) return reply.code(404).send({ error: `no conversation with psid ${req.params.psid} on page ${page.id}: POST /_emulator/pages/${page.id}/inbound first` });
    const input = deps.parse(personInput, req.body);
    const clean = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return { psid: req.params.psid, ...platform.setPerson(page.id, req.params.psid, clean) };
  });
  app.get<{ Params: { id: string } }>('/_emulator/pages/:id/messenger-profile', async (req, reply) => {
    if (!state.pages.has(req.params.id)) return reply.code(404).send({ error: `no page with id ${req.params.id}` });
    return { profile: platform.botProfile(req.params.id), callsInWindow: platform.profileCallsInWindow(req.params.id) };
  });
  app.get<{ Params: { id: string } }>('/_emulator/pages/:id/attachments', async (req, reply) => {
    if (!state.pages.has(req.params.id)) return reply.code(404).send({ error: `no page with id ${req.params.id}` });
    return { attachments: platform.attachments(req.params.id) };
  });
}
