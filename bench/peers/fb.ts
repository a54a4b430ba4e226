/**
 * npm `fb` (thuzi's Facebook SDK for Node), configured as its README shows: `new Facebook({
 * version, appId, appSecret })` and `FB.api(path, method, params)` promises, `appsecret_proof`
 * added by the library.
 *
 * `fb` has no base-URL option: it builds `https://graph.facebook.com/...` and hands it to the
 * `request` package. To point it at the emulator without modifying it, the `request` function
 * it loads is wrapped (through the CommonJS module cache, before `fb` is first required) so that
 * the origin is swapped; everything else is the library's own code path. `fb` passes a fresh
 * `pool` object with every request, so `request` opens a new agent (and connection) per call:
 * that is how the library behaves for its users, and it is measured as is.
 */
import { createRequire } from 'node:module';
import { GRAPH_VERSION } from '../lib/fixtures.js';
import { sendBody, type Peer } from './types.js';

const requireHere = createRequire(import.meta.url);
const FB_ORIGIN = 'https://graph.facebook.com';
let target = '';

interface FbInstance {
  api: (path: string, ...args: unknown[]) => Promise<Record<string, unknown>>;
  options: (o: Record<string, unknown>) => void;
}

let FacebookCtor: (new (opts: Record<string, unknown>) => FbInstance) | undefined;

function loadFb(origin: string): new (opts: Record<string, unknown>) => FbInstance {
  target = origin;
  if (FacebookCtor) return FacebookCtor;
  const fbMain = requireHere.resolve('fb');
  const requireFromFb = createRequire(fbMain);
  const requestPath = requireFromFb.resolve('request');
  const real = requireFromFb('request') as (opts: { uri: string }, cb: unknown) => unknown;
  const wrapped = Object.assign((opts: { uri: string }, cb: unknown) => {
    if (opts.uri.startsWith(FB_ORIGIN)) opts.uri = target + opts.uri.slice(FB_ORIGIN.length);
    return real(opts, cb);
  }, real);
  const cached = requireHere.cache[requestPath];
  if (!cached) throw new Error('fb peer: request module not in the require cache');
  cached.exports = wrapped;
  FacebookCtor = (requireHere('fb') as { Facebook: new (opts: Record<string, unknown>) => FbInstance }).Facebook;
  return FacebookCtor;
}

export const fbPeer: Peer = {
  name: 'fb',
  how: `fb ${(requireHere('fb/package.json') as { version: string }).version}: new Facebook({ version, appId, appSecret }), FB.api promises; request module's origin swapped to the emulator (no base-URL option)`,
  sender: async ({ emu, pageId, pageToken, psids, text }) => {
    const Facebook = loadFb(emu.url);
    const fb = new Facebook({ version: GRAPH_VERSION, appId: emu.appId, appSecret: emu.appSecret, accessToken: pageToken });
    return {
      send: async (i) => {
        const b = sendBody(psids[i % psids.length]!, text);
        const r = await fb.api(`${pageId}/messages`, 'post', b);
        if (typeof r.message_id !== 'string') throw new Error('fb: no message_id in the answer');
      },
      close: async () => {},
    };
  },
  exchanger: async (emu) => {
    const Facebook = loadFb(emu.url);
    const fb = new Facebook({ version: GRAPH_VERSION, appId: emu.appId, appSecret: emu.appSecret });
    return {
      exchange: async (short) => {
        // README "Extending the access token".
        const r = await fb.api('oauth/access_token', { client_id: emu.appId, client_secret: emu.appSecret, grant_type: 'fb_exchange_token', fb_exchange_token: short });
        return r.access_token as string;
      },
      close: async () => {},
    };
  },
  lister: async (emu) => {
    const Facebook = loadFb(emu.url);
    const fb = new Facebook({ version: GRAPH_VERSION, appId: emu.appId, appSecret: emu.appSecret });
    return {
      listPages: async (userToken) => {
        let count = 0;
        let r = await fb.api('me/accounts', { access_token: userToken, limit: 100 });
        for (;;) {
          count += (r.data as unknown[]).length;
          const next = (r.paging as { next?: string } | undefined)?.next;
          if (!next) return count;
          // fb takes a path; the next URL's path and query are replayed through it.
          const u = new URL(next);
          const params = Object.fromEntries(u.searchParams);
          r = await fb.api(u.pathname.replace(/^\//, ''), params);
        }
      },
      close: async () => {},
    };
  },
};
