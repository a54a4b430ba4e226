/** Every peer library, in the order the table lists them. */
import { businessSdkPeer } from './business-sdk.js';
import { fbPeer } from './fb.js';
import { messagingApiMessengerPeer } from './messaging-api-messenger.js';
import type { Peer } from './types.js';

export const PEERS: Peer[] = [fbPeer, messagingApiMessengerPeer, businessSdkPeer];
export { bareUndici } from './bare-undici.js';
