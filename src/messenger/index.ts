/** Messenger sending: send helpers, local checks, throttle, direct send, durable outbox and its worker. */
export * from './types.js';
export * from './build-message.js';
export * from './validate-message.js';
export * from './window.js';
export * from './window-lookup.js';
export * from './recipient-refusal.js';
export * from './resume-held.js';
export * from './outcome-events.js';
export * from './retry-policy.js';
export * from './throttle.js';
export * from './send.js';
export * from './outbox-body.js';
export * from './outbox.js';
export * from './worker.js';
export * from './create-messenger.js';
export { createPeopleDirectory, toPersonProfile, DEFAULT_PEOPLE_CACHE_SIZE, DEFAULT_PEOPLE_TTL_MS, type PersonProfile, type PeopleDirectory, type PeopleDirectoryOptions } from './person-profile.js';
export {
  validateMessengerProfile,
  MESSENGER_PROFILE_FIELDS,
  type MessengerProfile,
  type MessengerProfileField,
  type MessengerProfileHandle,
  type MenuButton,
  type IceBreaker,
} from './messenger-profile.js';
export { buildUploadRequest, mediaTypeOf, MAX_ATTACHMENT_BYTES, type UploadInput, type UploadResult } from './upload-attachment.js';
