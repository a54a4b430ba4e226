/**
 * A batch POSTed to a node path (`POST /me?batch=[...]`, Meta's own example) runs like one POSTed
 * to the root: items resolve from the root, not from the node they were posted to.
 */
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, longLivedToken, startTestEmulator } from '../helpers/emulator.js';

describe('batch on any node path', () => {
  it("Meta's example: POST /me?batch=[two Page ids]&include_headers=false with everything in the query", async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const [a, b] = emu.users[0]!.pages;
    const batch = JSON.stringify([
      { method: 'GET', relative_url: a!.id },
      { method: 'GET', relative_url: b!.id },
    ]);
    const q = new URLSearchParams({ batch, include_headers: 'false', access_token: token });
    const r = await graph(emu, `me?${q}`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      { code: 200, body: JSON.stringify({ name: a!.name, id: a!.id }) },
      { code: 200, body: JSON.stringify({ name: b!.name, id: b!.id }) },
    ]);
  });

  it('a versioned node path with the batch in the form body gives the same items as POST /', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const batch = JSON.stringify([{ method: 'GET', relative_url: 'me?fields=id' }, { method: 'GET', relative_url: 'me/accounts?fields=id&limit=2' }]);
    const onNode = await graph(emu, `${V}/${emu.users[0]!.pages[0]!.id}`, { form: { access_token: token, batch, include_headers: 'false' } });
    const onRoot = await graph(emu, `${V}/`, { form: { access_token: token, batch, include_headers: 'false' } });
    expect(onNode.status).toBe(200);
    expect(onNode.json.map((i: { code: number }) => i.code)).toEqual([200, 200]);
    expect(JSON.parse(onNode.json[0].body)).toEqual({ id: emu.users[0]!.id });
    // Paging cursors are stable, so the two batches answer the same bytes.
    expect(onNode.json).toEqual(onRoot.json);
  });

  it('a batch item that is itself a batch is refused on its own, the others still run', async () => {
    const emu = await startTestEmulator();
    const token = await longLivedToken(emu);
    const inner = JSON.stringify([{ method: 'GET', relative_url: 'me' }]);
    const batch = JSON.stringify([
      { method: 'POST', relative_url: `me?batch=${encodeURIComponent(inner)}` },
      { method: 'GET', relative_url: 'me?fields=id' },
    ]);
    const r = await graph(emu, `${V}/me`, { form: { access_token: token, batch, include_headers: 'false' } });
    expect(r.json[0].code).toBe(400);
    expect(JSON.parse(r.json[0].body).error).toMatchObject({ code: 100 });
    expect(r.json[1]).toEqual({ code: 200, body: JSON.stringify({ id: emu.users[0]!.id }) });
  });
});

// Uses the emulator's Attachment Upload API (docs/emulator.md "User Profile, Messenger Profile and attachment upload").
describe('multipart batches with attached_files', () => {
  it('an item names the multipart file it uploads in attached_files; an item naming none gets no file', async () => {
    const emu = await startTestEmulator();
    const pageId = emu.users[0]!.pages[0]!.id;
    const accounts = await graph(emu, `${V}/me/accounts?fields=id,access_token&access_token=${await longLivedToken(emu)}`);
    const pageToken = (accounts.json.data as { id: string; access_token: string }[]).find((p) => p.id === pageId)!.access_token;
    const message = encodeURIComponent(JSON.stringify({ attachment: { type: 'image', payload: { is_reusable: true } } }));
    const f = new FormData();
    f.append('access_token', pageToken);
    f.append('include_headers', 'false');
    f.append(
      'batch',
      JSON.stringify([
        { method: 'POST', relative_url: 'me/message_attachments', body: `message=${message}`, attached_files: 'filedata' },
        { method: 'POST', relative_url: 'me/message_attachments', body: `message=${message}` },
      ]),
    );
    f.append('filedata', new Blob([Buffer.from('89504e470d0a1a0a', 'hex')], { type: 'image/png' }), 'cat.png');
    const res = await fetch(`${emu.url}/${V}/${pageId}`, { method: 'POST', body: f });
    const items = (await res.json()) as { code: number; body: string }[];
    expect(items[0]!.code).toBe(200);
    const { attachment_id } = JSON.parse(items[0]!.body) as { attachment_id: string };
    expect(items[1]!.code).toBe(400);
    const stored = await emu.control.request<{ attachments: { id: string; file: { filename: string; bytes: number } | null }[] }>('GET', `pages/${pageId}/attachments`);
    expect(stored.attachments).toHaveLength(1);
    expect(stored.attachments[0]).toMatchObject({ id: attachment_id, file: { filename: 'cat.png', bytes: 8 } });
  });
});
