/**
 * REST routes for people and the Page's bot settings (docs/messenger-profile.md):
 * - `GET /v1/pages/{id}/people/{psid}`: the person's name and picture (User Profile API, cached);
 * - `GET /v1/pages/{id}/messenger-profile`: the Page's Messenger Profile;
 * - `PUT /v1/pages/{id}/messenger-profile`: sets the properties given; a property set to null is
 *   deleted. Validated with Facebook's limits before any Graph call (PK_BOT_PROFILE_INVALID).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import { MESSENGER_PROFILE_FIELDS, validateMessengerProfile, type MessengerProfile, type MessengerProfileField } from '../../messenger/messenger-profile.js';
import type { ServiceDeps } from '../deps.js';
import { apiRoute, type AnyApiRoute } from '../server/route-table.js';

const PsidSchema = z.string().regex(/^\d{1,32}$/, 'must be the numeric PSID of a person who wrote to the Page (sender.id of their webhook event)');

const PersonResponseSchema = z.object({
  pageId: z.string(),
  psid: z.string(),
  name: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  profilePic: z.string().nullable().describe("Facebook's picture URL; it expires, do not store it"),
});

const ProfileShape = {
  get_started: z.looseObject({ payload: z.string() }).nullable().optional(),
  greeting: z.array(z.looseObject({ locale: z.string(), text: z.string() })).nullable().optional(),
  persistent_menu: z.array(z.looseObject({ locale: z.string() })).nullable().optional(),
  ice_breakers: z.array(z.looseObject({})).nullable().optional(),
  whitelisted_domains: z.array(z.string()).nullable().optional(),
};
const ProfileResponseSchema = z.object({ pageId: z.string(), profile: z.object(ProfileShape) });
const PutResponseSchema = z.object({ pageId: z.string(), set: z.array(z.string()), deleted: z.array(z.string()) });
const ProfileBodySchema = z
  .strictObject(ProfileShape)
  .describe('Messenger Profile properties in Graph\'s spelling: {"get_started":{"payload":"START"},"greeting":[{"locale":"default","text":"Hi!"}]}; null deletes a property');

const unavailable = () => pkError('PK_INTERNAL', { detail: 'the Messenger Platform calls are not configured' }, { details: { status: 503 } });

export function messengerPlatformRoutes(
  params: z.ZodType<{ id: string }>,
  requirePage: (request: FastifyRequest, id: string) => Promise<unknown>,
  depsFor: (request: FastifyRequest) => Pick<ServiceDeps, 'people' | 'messengerProfile'>,
): AnyApiRoute[] {
  const personParams = z.object({ id: (params as z.ZodObject<{ id: z.ZodString }>).shape.id, psid: PsidSchema });
  return [
    apiRoute({
      method: 'GET',
      url: '/v1/pages/{id}/people/{psid}',
      summary: "A person's name and picture (Facebook's User Profile API; cached in memory, never logged)",
      scope: 'pages:read',
      params: personParams,
      responses: {
        200: { description: 'The person', schema: PersonResponseSchema },
        400: { description: 'Malformed id or PSID' },
        404: { description: 'Page not connected (PK_PAGE_NOT_FOUND), or not a person who wrote to it (PK_PERSON_NOT_FOUND)' },
      },
      handler: async ({ params: p, request, reply }) => {
        await requirePage(request, p.id);
        const people = depsFor(request).people;
        if (!people) throw unavailable();
        const person = await people.profile(p.id, p.psid);
        // Personal data: not for shared caches.
        void reply.header('cache-control', 'private, no-store');
        return { pageId: p.id, psid: p.psid, name: person.name, firstName: person.firstName, lastName: person.lastName, profilePic: person.profilePic };
      },
    }),
    apiRoute({
      method: 'GET',
      url: '/v1/pages/{id}/messenger-profile',
      summary: "The Page's bot settings: get_started, greeting, persistent_menu, ice_breakers, whitelisted_domains",
      scope: 'pages:read',
      params,
      responses: { 200: { description: 'The properties that are set', schema: ProfileResponseSchema }, 404: { description: 'Not connected' } },
      handler: async ({ params: p, request }) => {
        await requirePage(request, p.id);
        const bot = depsFor(request).messengerProfile;
        if (!bot) throw unavailable();
        return { pageId: p.id, profile: await bot.get(p.id) };
      },
    }),
    apiRoute({
      method: 'PUT',
      url: '/v1/pages/{id}/messenger-profile',
      summary: "Sets the Page's bot settings (properties left out stay; null deletes one), checked with Facebook's limits first",
      scope: 'messages:write',
      params,
      body: ProfileBodySchema,
      responses: {
        200: { description: 'What was set and deleted (not read back: Facebook allows 10 Messenger Profile calls per 10 minutes per Page)', schema: PutResponseSchema },
        400: { description: 'Invalid profile (PK_BOT_PROFILE_INVALID): nothing was sent to Facebook' },
        404: { description: 'Not connected' },
      },
      handler: async ({ params: p, body, request }) => {
        const set: Record<string, unknown> = {};
        const removed: MessengerProfileField[] = [];
        for (const f of MESSENGER_PROFILE_FIELDS) {
          if (body[f] === null) removed.push(f);
          else if (body[f] !== undefined) set[f] = body[f];
        }
        if (Object.keys(set).length === 0 && removed.length === 0) throw pkError('PK_BOT_PROFILE_INVALID', { detail: `the body sets nothing: give at least one of ${MESSENGER_PROFILE_FIELDS.join(', ')}` });
        // Checked before the Page lookup and any Graph call; a menu's Get Started may already be on the Page (checked by set).
        if (Object.keys(set).length > 0) validateMessengerProfile(set.persistent_menu !== undefined && set.get_started === undefined ? { ...set, get_started: { payload: 'x' } } : set);
        await requirePage(request, p.id);
        const bot = depsFor(request).messengerProfile;
        if (!bot) throw unavailable();
        // Set first: when Facebook refuses the new properties, nothing has been deleted yet.
        if (Object.keys(set).length > 0) await bot.set(p.id, set as MessengerProfile);
        if (removed.length > 0) await bot.delete(p.id, removed);
        return { pageId: p.id, set: Object.keys(set), deleted: removed };
      },
    }),
  ];
}
