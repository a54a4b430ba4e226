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
