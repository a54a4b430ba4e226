/**
 * npm `messaging-api-messenger` (Yoctol's bottender client), configured as its README shows:
 * `new MessengerClient({ accessToken, appId, appSecret, version, origin })` — `origin` is the
 * README's documented way to talk to a test server — and `client.sendText(psid, text, options)`.
 * It sends to `/me/messages` with the page token and adds `appsecret_proof` itself. It cannot
 * exchange user tokens or list a user's pages (it is a page-token client), so it only sends.
 */
import { createRequire } from 'node:module';
import type { MessengerClient as MessengerClientType } from 'messaging-api-messenger';
import type { Peer } from './types.js';

const requireHere = createRequire(import.meta.url);
// CommonJS package whose named exports Node's ESM loader cannot see statically.
const { MessengerClient } = requireHere('messaging-api-messenger') as { MessengerClient: typeof MessengerClientType };

export const messagingApiMessengerPeer: Peer = {
  name: 'messaging-api-messenger',
  how: `messaging-api-messenger ${(requireHere('messaging-api-messenger/package.json') as { version: string }).version}: new MessengerClient({ accessToken, appId, appSecret, version: '25.0', origin }), sendText(psid, text, { messagingType: 'RESPONSE' }); axios on Node's keep-alive global agent; cannot exchange tokens or list pages`,
  sender: async ({ emu, pageToken, psids, text }) => {
    const client = new MessengerClient({ accessToken: pageToken, appId: emu.appId, appSecret: emu.appSecret, version: '25.0', origin: emu.url });
    return {
      send: async (i) => {
        const r = await client.sendText(psids[i % psids.length]!, text, { messagingType: 'RESPONSE' });
        if (typeof r.messageId !== 'string') throw new Error('messaging-api-messenger: no messageId in the answer');
      },
      close: async () => {},
    };
  },
};
