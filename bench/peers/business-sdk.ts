/**
 * npm `facebook-nodejs-business-sdk` (Meta's official SDK), configured as its README shows:
 * `FacebookAdsApi.init(accessToken)` then object methods, here `new Page(id).createMessage([],
 * params)` (POST /{page-id}/messages) and `new User('me').getAccounts(fields, params)` with its
 * Cursor. The SDK has no base-URL option: the static `FacebookAdsApi.GRAPH` getter is redefined
 * to the emulator's origin. The crash reporter is turned off (`init(token, locale, false)`) so
 * nothing is posted to facebook.com. The SDK never sends `appsecret_proof` (the emulator accepts
 * calls without it unless started with --require-appsecret-proof). Its token is process-global
 * (`setDefaultApi`), so exchanges build one FacebookAdsApi per call with `api.call()`.
 */
import { createRequire } from 'node:module';
import type { BenchEmulator } from '../lib/emulator-process.js';
import { sendBody, type Peer } from './types.js';

const requireHere = createRequire(import.meta.url);

interface AdsApi {
  call: (method: string, path: string[] | string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;
}
interface Sdk {
  FacebookAdsApi: { init: (token: string, locale?: string, crashLog?: boolean) => AdsApi; new (token: string, locale?: string, crashLog?: boolean): AdsApi };
  Page: new (id: string) => { createMessage: (fields: string[], params: Record<string, unknown>) => Promise<{ _data?: Record<string, unknown> }> };
  User: new (id: string) => {
    getAccounts: (fields: string[], params: Record<string, unknown>) => Promise<Array<unknown> & { hasNext: () => boolean; next: () => Promise<Array<unknown>> }>;
  };
}

function loadSdk(emu: BenchEmulator): Sdk {
  const sdk = requireHere('facebook-nodejs-business-sdk') as Sdk;
  Object.defineProperty(sdk.FacebookAdsApi, 'GRAPH', { get: () => emu.url, configurable: true });
  return sdk;
}

export const businessSdkPeer: Peer = {
  name: 'facebook-nodejs-business-sdk',
  how: `facebook-nodejs-business-sdk ${(requireHere('facebook-nodejs-business-sdk/package.json') as { version: string }).version}: FacebookAdsApi.init(token, 'en_US', false), Page.createMessage / User.getAccounts + Cursor; FacebookAdsApi.GRAPH redefined to the emulator; no appsecret_proof (the SDK has none)`,
  sender: async ({ emu, pageId, pageToken, psids, text }) => {
    const sdk = loadSdk(emu);
    sdk.FacebookAdsApi.init(pageToken, 'en_US', false);
    return {
      send: async (i) => {
        await new sdk.Page(pageId).createMessage([], sendBody(psids[i % psids.length]!, text));
      },
      close: async () => {},
    };
  },
  exchanger: async (emu) => {
    const sdk = loadSdk(emu);
    return {
      exchange: async (short) => {
        const api = new sdk.FacebookAdsApi(short, 'en_US', false);
        const r = await api.call('GET', ['oauth', 'access_token'], {
          grant_type: 'fb_exchange_token',
          client_id: emu.appId,
          client_secret: emu.appSecret,
          fb_exchange_token: short,
        });
        return r.access_token as string;
      },
      close: async () => {},
    };
  },
  lister: async (emu) => {
    const sdk = loadSdk(emu);
    return {
      listPages: async (userToken) => {
        sdk.FacebookAdsApi.init(userToken, 'en_US', false);
        let cursor = await new sdk.User('me').getAccounts(['id', 'name', 'access_token', 'tasks'], { limit: 100 });
        let count = cursor.length;
        while (cursor.hasNext()) {
          cursor = (await cursor.next()) as typeof cursor;
          count += cursor.length;
        }
        return count;
      },
      close: async () => {},
    };
  },
};
