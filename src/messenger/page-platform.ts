/**
 * The Messenger Platform calls of one Page handle (`page(id).profile`, `.messengerProfile`,
 * `.uploadAttachment`), each made with the Page's token through `call` (which adds failover and
 * token-loss handling). Kept apart from pagekeeper.ts so the front door stays a list of wiring.
 */
import { pkError } from '../errors.js';
import type { GraphClient } from '../graph/create-graph-client.js';
import { createMessengerProfileHandle, type MessengerProfileHandle } from './messenger-profile.js';
import type { PeopleDirectory, PersonProfile } from './person-profile.js';
import { buildUploadRequest, toUploadResult, type UploadInput, type UploadResult } from './upload-attachment.js';

export interface PagePlatform {
  profile(psid: string): Promise<PersonProfile>;
  readonly messengerProfile: MessengerProfileHandle;
  uploadAttachment(input: UploadInput): Promise<UploadResult>;
}

/** `call(fn, idempotent)` runs `fn` with the Page's token. */
export type PageCall = <T>(fn: (token: string) => Promise<T>, idempotent: boolean) => Promise<T>;

export function createPagePlatform(pageId: string, graph: GraphClient, call: PageCall, people: PeopleDirectory): PagePlatform {
  return {
    profile: (psid) => people.profile(pageId, psid),
    messengerProfile: createMessengerProfileHandle({
      get: (fields) => call((token) => graph.get('me/messenger_profile', { fields: fields.join(',') }, { token }), true),
      // Setting the same properties twice leaves the same profile: safe to repeat on another admin's token.
      post: (profile) => call((token) => graph.post('me/messenger_profile', profile as Record<string, unknown>, { token, idempotent: true }), true),
      // The reference's DELETE carries `{"fields":[...]}` as a JSON body.
      delete: (fields) => call((token) => graph.request({ method: 'DELETE', path: 'me/messenger_profile', json: { fields }, token, idempotent: true }).then((r) => r.data), true),
    }),
    async uploadAttachment(input) {
      const body = await buildUploadRequest(input);
      const answer = await call((token) => graph.request({ method: 'POST', path: 'me/message_attachments', token, ...body }), false);
      return toUploadResult(answer.data);
    },
  };
}

/** The User Profile call the people directory makes for `pageId`. */
export function fetchPersonWith(graph: GraphClient, call: (pageId: string) => PageCall): (pageId: string, psid: string) => Promise<unknown> {
  return (pageId, psid) => {
    // A PSID is a numeric id; anything else would change the path (`../`), so it never reaches Graph.
    if (!/^\d{1,32}$/.test(psid)) return Promise.reject(pkError('PK_VALIDATION', { detail: 'psid must be the numeric Page-scoped id of a person (sender.id of a webhook)' }));
    return call(pageId)((token) => graph.get(psid, { fields: 'first_name,last_name,profile_pic' }, { token }), true);
  };
}
