import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import { GraphError } from '../../src/graph/graph-error.js';
import { pageAccountSchema } from '../../src/graph/schemas.js';
import { APP_ID, APP_SECRET, USER_TOKEN, sendJson, startStub, type StubServer } from './stub-server.js';

const stubs: StubServer[] = [];
const clients: GraphClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});

const page = (i: number) => ({ access_token: `EAApage${i}token0000000000000000`, id: String(1000 + i), name: `Page ${i}`, category: 'Shop', category_list: [{ id: '1', name: 'Shop' }], tasks: ['MANAGE', 'MESSAGING'] });

/** /me/accounts over `total` pages, 25 per page, with an empty page (that still has next) after the first. */
async function accountsStub(total: number, nextOrigin?: string) {
  let origin = '';
  const stub = await startStub((req, res) => {
    const after = Number(req.url.searchParams.get('after') ?? '0');
    const limit = Number(req.url.searchParams.get('limit') ?? '25');
    const empty = req.url.searchParams.get('empty') === '1';
    const items = empty ? [] : Array.from({ length: Math.max(0, Math.min(limit, total - after)) }, (_, k) => page(after + k));
    const nextAfter = empty ? after : after + items.length;
    const base = nextOrigin ?? origin;
    const paging: Record<string, unknown> = { cursors: { before: `b${after}`, after: `a${nextAfter}` } };
    if (nextAfter < total) {
      // Facebook puts the token into next; after the first page, one empty page with next.
      paging.next = `${base}/v25.0/555/accounts?access_token=${encodeURIComponent(USER_TOKEN)}&limit=${limit}&after=${nextAfter}${after === 0 && !empty ? '&empty=1' : ''}`;
    }
    sendJson(res, 200, { data: items, paging });
  });
  origin = stub.url;
  stubs.push(stub);
  const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET });
  clients.push(client);
  return { stub, client };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('following paging.next', () => {
  it('reads every page of /me/accounts, not just the first 25, across an empty page', async () => {
    const { stub, client } = await accountsStub(130);
    const pages = await collect(client.paginate('me/accounts', { limit: 25 }, { token: USER_TOKEN, itemSchema: pageAccountSchema }));
    expect(pages.map((p) => p.id)).toEqual(Array.from({ length: 130 }, (_, i) => String(1000 + i)));
    // 6 pages of data plus the empty one.
    expect(stub.requests).toHaveLength(7);
    expect(stub.requests.some((r) => r.url.searchParams.get('empty') === '1')).toBe(true);
    for (const r of stub.requests) expect(r.url.searchParams.getAll('appsecret_proof')).toHaveLength(1);
  });

  it('stops at a page without next', async () => {
    const { stub, client } = await accountsStub(3);
    expect(await collect(client.paginate('me/accounts', {}, { token: USER_TOKEN, itemSchema: pageAccountSchema }))).toHaveLength(3);
    expect(stub.requests).toHaveLength(1);
  });

  it('refuses to follow a next URL on another origin (it would carry the token away)', async () => {
    const { client } = await accountsStub(60, 'http://other.invalid');
    const seen: string[] = [];
    let err: unknown;
    try {
      for await (const p of client.paginate('me/accounts', {}, { token: USER_TOKEN, itemSchema: pageAccountSchema })) seen.push(p.id);
    } catch (e) {
      err = e;
    }
    expect(seen).toHaveLength(25);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).message).toContain('other.invalid');
    expect((err as GraphError).message).not.toContain(USER_TOKEN);
  });

  it('stops with an error when next repeats an earlier page', async () => {
    let origin = '';
    const stub = await startStub((_req, res) => sendJson(res, 200, { data: [{ id: '1' }], paging: { next: `${origin}/v25.0/me/things?after=same` } }));
    origin = stub.url;
    stubs.push(stub);
    const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET });
    clients.push(client);
    await expect(collect(client.paginate('me/things', {}, { token: USER_TOKEN, itemSchema: z.object({ id: z.string() }) }))).rejects.toThrow('paging.next repeats');
    expect(stub.requests).toHaveLength(2);
  });

  it('validates every page with the item schema', async () => {
    const stub = await startStub((_req, res) => sendJson(res, 200, { data: [{ id: 1 }] }));
    stubs.push(stub);
    const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET });
    clients.push(client);
    await expect(collect(client.paginate('me/things', {}, { token: USER_TOKEN, itemSchema: z.object({ id: z.string() }) }))).rejects.toThrow('data[0].id: expected string');
  });
});
