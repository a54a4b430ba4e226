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
