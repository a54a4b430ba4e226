/**
 * `fbgraph` (criso/fbgraph), the generic Node Graph client, unmodified but for its base URL
 * (`setGraphUrl`). Chosen as the third public client because its own calls exercise what apps do
 * with the User Profile and Messenger Profile APIs through a generic client: `graph.del` sends a
 * POST with `?method=delete` (the method override), `graph.batch` POSTs to the versioned root, and
 * `paging.next` links are followed as absolute URLs. It signs every call with appsecret_proof.
 * Its settings are module-wide, so they are set once for this file and put back afterwards.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, longLivedToken, startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph JSON as the library hands it back
type Json = any;
type Callback = (err: Json, res: Json) => void;
interface FbGraph {
  setGraphUrl(url: string): FbGraph;
  getGraphUrl(): string;
  setVersion(version: string): FbGraph;
  setAppSecret(secret: string | null): FbGraph;
  setAccessToken(token: string | null): FbGraph;
  get(url: string, params: Record<string, unknown> | null, cb: Callback): void;
  post(url: string, data: Record<string, unknown>, cb: Callback): void;
  del(url: string, data: Record<string, unknown>, cb: Callback): void;
  batch(reqs: unknown[], extra: Record<string, unknown>, cb: Callback): void;
  extendAccessToken(params: Record<string, unknown>, cb: Callback): void;
}
const graph = createRequire(import.meta.url)('fbgraph') as FbGraph;

const call = (fn: (cb: Callback) => void): Promise<Json> => new Promise((resolve, reject) => fn((err, res) => (err ? reject(Object.assign(new Error(String(err.message)), { graph: err })) : resolve(res))));
const get = (url: string, params: Record<string, unknown> | null = null) => call((cb) => graph.get(url, params, cb));
const post = (url: string, data: Record<string, unknown>) => call((cb) => graph.post(url, data, cb));
const del = (url: string, data: Record<string, unknown> = {}) => call((cb) => graph.del(url, data, cb));

let emu: TestEmulator;

/** The Page token /me/accounts hands the user, read through fbgraph (the emulator requires proofs here). */
async function usePageToken(pageId: string): Promise<void> {
  graph.setAccessToken(await longLivedToken(emu));
  const accounts = await get('me/accounts', { fields: 'id,access_token', limit: 100 });
  graph.setAccessToken((accounts.data as { id: string; access_token: string }[]).find((p) => p.id === pageId)!.access_token);
}
const originalUrl = graph.getGraphUrl();
beforeAll(async () => {
  emu = await startTestEmulator({ requireAppsecretProof: true });
  graph.setGraphUrl(emu.url).setVersion(V.slice(1)).setAppSecret(emu.appSecret);
});
afterAll(() => {
  graph.setGraphUrl(originalUrl).setAppSecret(null).setAccessToken(null);
});

describe('fbgraph against the emulator', () => {
  it('extends a token, then follows paging.next through /me/accounts with the same fields on every page', async () => {
    const extended = await call((cb) => graph.extendAccessToken({ access_token: emu.users[0]!.shortLivedToken, client_id: emu.appId, client_secret: emu.appSecret }, cb));
    expect(extended).toMatchObject({ access_token: expect.any(String), token_type: 'bearer' });
    graph.setAccessToken(extended.access_token);
    const seen: Json[] = [];
    let page = await get('me/accounts', { fields: 'name', limit: 1 });
    seen.push(...page.data);
    while (page.paging?.next) {
      expect(page.paging.next.startsWith(`${emu.url}/${V}/me/accounts?`)).toBe(true);
      page = await get(page.paging.next);
      seen.push(...page.data);
    }
    expect(seen.map((p) => p.id)).toEqual(emu.users[0]!.pages.map((p) => p.id));
    for (const p of seen) expect(Object.keys(p)).toEqual(['name', 'id']);
  });

  it('runs a batch (POSTed to the versioned root) and reads each item body', async () => {
    graph.setAccessToken(await longLivedToken(emu));
    const items = await call((cb) => graph.batch([{ method: 'GET', relative_url: 'me?fields=id' }, { method: 'GET', relative_url: 'me/accounts?limit=2&fields=id' }], { include_headers: false }, cb));
    expect(items.map((i: { code: number }) => i.code)).toEqual([200, 200]);
    expect(JSON.parse(items[0].body)).toEqual({ id: emu.users[0]!.id });
    expect(JSON.parse(items[1].body).data).toHaveLength(2);
  });

  it('graph.del (a POST with ?method=delete) removes a permission', async () => {
    const token = await longLivedToken(emu);
    graph.setAccessToken(token);
    expect(await del('me/permissions/pages_manage_metadata')).toEqual({ success: true });
    const perms = await get('me/permissions');
    expect((perms.data as { permission: string }[]).map((p) => p.permission)).not.toContain('pages_manage_metadata');
  });

  it('sends a message with the Page token and surfaces Graph errors with their code', async () => {
    const pageId = emu.users[0]!.pages[0]!.id;
    await usePageToken(pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    const sent = await post('me/messages', { recipient: JSON.stringify({ id: psid }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'hi from fbgraph' }) });
    expect(sent).toEqual({ recipient_id: psid, message_id: expect.stringMatching(/^m_/) });
    expect((await emu.control.sentMessages(pageId)).at(-1)).toMatchObject({ messageId: sent.message_id, message: { text: 'hi from fbgraph' } });
    const refused = await post('me/messages', { recipient: JSON.stringify({ id: '1234567890123456' }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'nobody' }) }).catch((e: { graph: Json }) => e.graph);
    expect(refused).toMatchObject({ code: 100, error_subcode: 2018001 });
  });
});

// The emulator's User Profile and Messenger Profile APIs (docs/emulator.md "User Profile, Messenger Profile and attachment upload").
describe('fbgraph with the User Profile and Messenger Profile APIs', () => {
  it('reads the name and picture of a person who wrote to the Page (GET /{PSID}?fields=...)', async () => {
    const pageId = emu.users[0]!.pages[0]!.id;
    await usePageToken(pageId);
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    await emu.control.request('PUT', `pages/${pageId}/people/${psid}`, { first_name: 'Ada', last_name: 'Lovelace', profile_pic: 'https://example.com/ada.jpg' });
    expect(await get(psid, { fields: 'first_name,last_name,profile_pic' })).toEqual({ first_name: 'Ada', last_name: 'Lovelace', profile_pic: 'https://example.com/ada.jpg', id: psid });
  });

  it('sets, reads and deletes the get started button (graph.del sends method=delete with fields)', async () => {
    const pageId = emu.users[0]!.pages[1]!.id;
    await usePageToken(pageId);
    expect(await post('me/messenger_profile', { get_started: JSON.stringify({ payload: 'GET_STARTED' }) })).toEqual({ result: 'success' });
    expect(await get('me/messenger_profile', { fields: 'get_started' })).toEqual({ data: [{ get_started: { payload: 'GET_STARTED' } }] });
    expect(await del('me/messenger_profile', { fields: JSON.stringify(['get_started']) })).toEqual({ result: 'success' });
    expect(await get('me/messenger_profile', { fields: 'get_started' })).toEqual({ data: [] });
  });

  it('a greeting over 160 characters is refused with code 100 and nothing is stored', async () => {
    const pageId = emu.users[0]!.pages[2]!.id;
    await usePageToken(pageId);
    const refused = await post('me/messenger_profile', { greeting: JSON.stringify([{ locale: 'default', text: 'x'.repeat(161) }]) }).catch((e: { graph: Json }) => e.graph);
    expect(refused).toMatchObject({ code: 100, message: expect.stringMatching(/greeting/) });
    expect(await get('me/messenger_profile', { fields: 'greeting' })).toEqual({ data: [] });
  });
});
