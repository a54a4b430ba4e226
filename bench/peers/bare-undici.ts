/**
 * The physical limit: a hand-written undici loop with a keep-alive Pool and no validation beyond
 * the status code. pagekeeper cannot be faster than this against the same emulator; the targets
 * say how close it must come.
 */
import { Pool } from 'undici';
import { appsecretProof, GRAPH_VERSION } from '../lib/fixtures.js';
import { sendBody, type Peer } from './types.js';

export const BARE_CONNECTIONS = 64;

async function expectOk(res: { statusCode: number; body: { text: () => Promise<string> } }): Promise<string> {
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  return text;
}

export const bareUndici: Peer = {
  name: 'bare undici loop',
  how: `undici Pool, ${BARE_CONNECTIONS} keep-alive connections, same JSON body and query (access_token, appsecret_proof), response parsed with JSON.parse`,
  sender: async ({ emu, pageId, pageToken, psids, text }) => {
    const pool = new Pool(emu.url, { connections: BARE_CONNECTIONS, keepAliveTimeout: 60_000 });
    const path = `/${GRAPH_VERSION}/${pageId}/messages?access_token=${encodeURIComponent(pageToken)}&appsecret_proof=${appsecretProof(pageToken, emu.appSecret)}`;
    const bodies = psids.map((p) => JSON.stringify(sendBody(p, text)));
    return {
      send: async (i) => {
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: bodies[i % bodies.length]! });
        JSON.parse(await expectOk(res));
      },
      close: () => pool.close(),
    };
  },
  exchanger: async (emu) => {
    const pool = new Pool(emu.url, { connections: BARE_CONNECTIONS, keepAliveTimeout: 60_000 });
    return {
      exchange: async (short) => {
        const q = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: short });
        const res = await pool.request({ method: 'GET', path: `/${GRAPH_VERSION}/oauth/access_token?${q}` });
        return (JSON.parse(await expectOk(res)) as { access_token: string }).access_token;
      },
      close: () => pool.close(),
    };
  },
  lister: async (emu) => {
    const pool = new Pool(emu.url, { connections: 4, keepAliveTimeout: 60_000 });
    return {
      listPages: async (userToken) => {
        const q = new URLSearchParams({ access_token: userToken, appsecret_proof: appsecretProof(userToken, emu.appSecret), limit: '100' });
        let url: string | undefined = `${emu.url}/${GRAPH_VERSION}/me/accounts?${q}`;
        let count = 0;
        while (url) {
          const u: URL = new URL(url);
          const res = await pool.request({ method: 'GET', path: u.pathname + u.search });
          const page = JSON.parse(await expectOk(res)) as { data: unknown[]; paging?: { next?: string } };
          count += page.data.length;
          url = page.paging?.next;
        }
        return count;
      },
      close: () => pool.close(),
    };
  },
};
