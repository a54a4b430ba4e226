/**
 * Paging `next`/`previous` links keep the whole query the request was made with, as Facebook's do:
 * a client that follows `next` gets the same fields, filters and proof on every page.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION as V, graph, startTestEmulator } from '../helpers/emulator.js';
import type { GraphResponse } from '../helpers/emulator.js';

describe('paging links', () => {
  it('next and previous carry every parameter of the request, with only limit and the cursor changed', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Many', pages: Array.from({ length: 5 }, (_, i) => ({ name: `P${i}` })) });
    const proof = createHmac('sha256', emu.appSecret).update(user.shortLivedToken).digest('hex');
    const first = await graph(emu, `${V}/me/accounts?access_token=${user.shortLivedToken}&appsecret_proof=${proof}&fields=id,name,tasks&limit=2&pretty=0&locale=de_DE`);
    const next = new URL(first.json.paging.next);
    expect(next.origin + next.pathname).toBe(`${emu.url}/${V}/me/accounts`);
    expect([...next.searchParams.keys()]).toEqual(['access_token', 'appsecret_proof', 'fields', 'pretty', 'locale', 'limit', 'after']);
    expect(Object.fromEntries(next.searchParams)).toMatchObject({ access_token: user.shortLivedToken, appsecret_proof: proof, fields: 'id,name,tasks', pretty: '0', locale: 'de_DE', limit: '2' });

    const second = await graph(emu, next.href.slice(emu.url.length));
    expect(Object.keys(second.json.data[0])).toEqual(['id', 'name', 'tasks']);
    const previous = new URL(second.json.paging.previous);
    expect(Object.fromEntries(previous.searchParams)).toMatchObject({ fields: 'id,name,tasks', pretty: '0', locale: 'de_DE', limit: '2', before: expect.any(String) });
    expect(previous.searchParams.has('after')).toBe(false);
  });

  it('a POST with method=GET gets links holding its body parameters (without method), usable as plain GETs', async () => {
    const emu = await startTestEmulator();
    const user = await emu.control.createUser({ name: 'Many', pages: Array.from({ length: 3 }, (_, i) => ({ name: `P${i}` })) });
    const first = await graph(emu, `${V}/me/accounts`, { form: { method: 'GET', access_token: user.shortLivedToken, fields: 'name', limit: '1' } });
    const next = new URL(first.json.paging.next);
    expect(Object.fromEntries(next.searchParams)).toEqual({ access_token: user.shortLivedToken, fields: 'name', limit: '1', after: expect.any(String) });
    const names: string[] = first.json.data.map((p: { name: string }) => p.name);
    let link: string | undefined = first.json.paging.next;
    while (link) {
      const r = await graph(emu, link.slice(emu.url.length));
      expect(Object.keys(r.json.data[0])).toEqual(['name', 'id']);
      names.push(...r.json.data.map((p: { name: string }) => p.name));
      link = r.json.paging?.next;
    }
    expect(names).toEqual(['P0', 'P1', 'P2']);
  });

  it('Instagram conversations stay Instagram on every page: next keeps platform=instagram', async () => {
    const emu = await startTestEmulator();
    const scopes = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'instagram_basic', 'instagram_manage_messages'];
    const user = await emu.control.createUser({ name: 'Shop', scopes, pages: [{ name: 'Shop page', instagram: { username: 'shop' } }] });
    const igId = user.pages[0]!.instagram!.id;
    const people: string[] = [];
    for (let i = 0; i < 3; i++) people.push((await emu.control.instagramInbound(igId, { text: `hello ${i}` })).igsid);
    await emu.control.inbound(user.pages[0]!.id, { text: 'a Messenger thread, not to be listed' });
    const pageToken = (await graph(emu, `${V}/me/accounts?fields=id,access_token&access_token=${user.shortLivedToken}`)).json.data[0].access_token as string;

    const threads: string[] = [];
    let link: string | undefined = `${emu.url}/${V}/${user.pages[0]!.id}/conversations?platform=instagram&fields=participants&limit=1&access_token=${pageToken}`;
    while (link) {
      const r: GraphResponse = await graph(emu, link.slice(emu.url.length));
      expect(r.status).toBe(200);
      threads.push(...r.json.data.map((t: { id: string }) => t.id));
      link = r.json.paging?.next;
      if (link) expect(new URL(link).searchParams.get('platform')).toBe('instagram');
      // The Conversations API allows 2 calls per second per account.
      await emu.control.advanceClock(1);
    }
    expect(threads).toHaveLength(3);
  });
});
