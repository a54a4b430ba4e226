/**
 * The `fb` package (node-facebook-sdk), unmodified, against the emulator. It has no base-URL
 * option, so the smallest shim (route-request-to-emulator.ts) swaps only the origin of the URLs it
 * hands its HTTP client. With an app secret it signs every call with appsecret_proof, so the
 * emulator requires proofs here.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { routeRequestTo } from './route-request-to-emulator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph JSON as the library hands it back
type Json = any;
interface FacebookClient {
  api(path: string, ...args: unknown[]): Promise<Json>;
  withAccessToken(token: string): FacebookClient;
}
const { Facebook } = createRequire(import.meta.url)('fb') as { Facebook: new (options: Record<string, unknown>) => FacebookClient };

let emu: TestEmulator;
let restore: () => void;
beforeAll(async () => {
  emu = await startTestEmulator({ requireAppsecretProof: true });
  restore = routeRequestTo(emu.url, 'fb');
});
afterAll(() => restore());

const client = (accessToken?: string) => new Facebook({ appId: emu.appId, appSecret: emu.appSecret, version: V, ...(accessToken ? { accessToken } : {}) });

async function longLived(): Promise<string> {
  const r = await client().api('oauth/access_token', { grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: emu.users[0]!.shortLivedToken });
  return r.access_token as string;
}

describe('fb (node-facebook-sdk) against the emulator', () => {
  it('exchanges a token, reads /me and pages /me/accounts by following next (fields kept on every page)', async () => {
    const exchanged = await client().api('oauth/access_token', { grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: emu.users[0]!.shortLivedToken });
    expect(exchanged).toMatchObject({ access_token: expect.any(String), token_type: 'bearer', expires_in: 5_184_000 });
    const fb = client(exchanged.access_token);
    expect(await fb.api('me', { fields: 'id,name' })).toEqual({ id: emu.users[0]!.id, name: expect.any(String) });

    const pages: Json[] = [];
    let r = await fb.api('me/accounts', { fields: 'id,name', limit: 1 });
    pages.push(...r.data);
    while (r.paging?.next) {
      // fb takes a path; the next link's own query (token, proof, fields, limit, after) rides along unchanged.
      r = await fb.api(r.paging.next.slice(emu.url.length + 1));
      pages.push(...r.data);
    }
    expect(pages.map((p) => p.id)).toEqual(emu.users[0]!.pages.map((p) => p.id));
    for (const p of pages) expect(Object.keys(p)).toEqual(['id', 'name']);
  });

  it('runs a batch POSTed to the root and one POSTed to /me, each item answered in order', async () => {
    const fb = client(await longLived());
    const batch = [
      { method: 'GET', relative_url: 'me?fields=id' },
      { method: 'GET', relative_url: `${emu.users[0]!.pages[0]!.id}?fields=name` },
    ];
    for (const path of ['', 'me']) {
      const items: Json[] = await fb.api(path, 'post', { batch, include_headers: false });
      expect(items).toEqual([
        { code: 200, body: JSON.stringify({ id: emu.users[0]!.id }) },
        { code: 200, body: JSON.stringify({ name: emu.users[0]!.pages[0]!.name, id: emu.users[0]!.pages[0]!.id }) },
      ]);
    }
  });

  it('sends a message with the Page token (objects posted as JSON form fields) and the emulator records it', async () => {
    const fb = client(await longLived());
    const pageId = emu.users[0]!.pages[0]!.id;
    const accounts = await fb.api('me/accounts', { fields: 'id,access_token' });
    const pageToken = (accounts.data as { id: string; access_token: string }[]).find((p) => p.id === pageId)!.access_token;
    const { psid } = await emu.control.inbound(pageId, { text: 'hello from a customer' });
    const sent = await client(pageToken).api('me/messages', 'post', { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi from fb' } });
    expect(sent).toEqual({ recipient_id: psid, message_id: expect.stringMatching(/^m_/) });
    expect((await emu.control.sentMessages(pageId)).at(-1)).toMatchObject({ messageId: sent.message_id, message: { text: 'hi from fb' } });
  });

  it('DELETE removes a permission, and Graph errors reject with the error object', async () => {
    const token = await longLived();
    const fb = client(token);
    expect(await fb.api('me/permissions/pages_manage_metadata', 'delete')).toEqual({ success: true });
    const perms = await fb.api('me/permissions');
    expect((perms.data as { permission: string }[]).map((p) => p.permission)).not.toContain('pages_manage_metadata');

    const failed = await client('not-a-token').api('me').catch((e: { response?: Json }) => e);
    expect(failed.response.error).toMatchObject({ code: 190, type: 'OAuthException' });
  });
});

// The emulator's Attachment Upload API (docs/emulator.md "User Profile, Messenger Profile and attachment upload").
describe('fb with the attachment upload API', () => {
  it('a Buffer parameter makes fb send multipart/form-data: the file is uploaded and its attachment_id sends', async () => {
    const fb = client(await longLived());
    const pageId = emu.users[0]!.pages[1]!.id;
    const accounts = await fb.api('me/accounts', { fields: 'id,access_token' });
    const page = client((accounts.data as { id: string; access_token: string }[]).find((p) => p.id === pageId)!.access_token);
    const bytes = Buffer.from('%PDF-1.4 a small file\r\n--not-a-boundary\r\n');
    const uploaded = await page.api('me/message_attachments', 'post', {
      message: { attachment: { type: 'file', payload: { is_reusable: true } } },
      filedata: { value: bytes, options: { filename: 'terms.pdf', contentType: 'application/pdf' } },
    });
    expect(uploaded).toEqual({ attachment_id: expect.stringMatching(/^\d+$/) });
    const stored = await emu.control.request<{ attachments: { id: string; file: { filename: string; contentType: string; bytes: number } }[] }>('GET', `pages/${pageId}/attachments`);
    expect(stored.attachments.find((a) => a.id === uploaded.attachment_id)?.file).toEqual({ filename: 'terms.pdf', contentType: 'application/pdf', bytes: bytes.length });

    const { psid } = await emu.control.inbound(pageId, { text: 'send me the terms' });
    const sent = await page.api('me/messages', 'post', { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'file', payload: { attachment_id: uploaded.attachment_id } } } });
    expect(sent).toEqual({ recipient_id: psid, message_id: expect.stringMatching(/^m_/) });
  });
});
