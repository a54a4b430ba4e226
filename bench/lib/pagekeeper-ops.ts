/**
 * Adapters from the scenarios to pagekeeper's API: each finds the operation it needs on the
 * library (or throws NotAvailable naming it) and exposes it in the shape the scenario drives.
 *
 * Where the full library object (`createPageKeeper`) is not there yet but the lower layer it
 * wraps is (the Graph client, the token operations), the adapter measures that layer and says
 * so in `via`, which the scenario puts in the row's note.
 */
import type { BenchEmulator } from './emulator-process.js';
import { GRAPH_VERSION, shortLivedToken } from './fixtures.js';
import { NotAvailable } from './not-available.js';
import { importSrc, openPageKeeper, type BenchPageKeeper } from './pagekeeper.js';
import { BARE_CONNECTIONS } from '../peers/bare-undici.js';
import { sendBody, type Exchanger, type Lister, type Sender } from '../peers/types.js';

interface GraphClientLike {
  post: (path: string, body?: Record<string, unknown>, opts?: { token?: string }) => Promise<unknown>;
  close: () => Promise<void>;
}

/** What the token operations take as their first argument (src/context.ts). */
export interface TokenOpsContext {
  graph: GraphClientLike;
  config: { appId: string; graphUrl: string; graphVersion: string };
  appSecret: string;
  clock: { now: () => Date };
}

/** A Graph client built by pagekeeper's own factory, with its defaults, pointed at the emulator. */
export async function graphContext(emu: BenchEmulator): Promise<TokenOpsContext> {
  const mod = await importSrc('graph/create-graph-client.js');
  if (!mod || typeof mod.createGraphClient !== 'function') throw new NotAvailable('createGraphClient in src/graph');
  const create = mod.createGraphClient as (o: Record<string, unknown>) => GraphClientLike;
  const graph = create({ graphUrl: emu.url, graphVersion: GRAPH_VERSION, appId: emu.appId, appSecret: emu.appSecret });
  return { graph, config: { appId: emu.appId, graphUrl: emu.url, graphVersion: GRAPH_VERSION }, appSecret: emu.appSecret, clock: { now: () => new Date() } };
}

export type Via<T> = T & { via: string };

/**
 * pagekeeper's direct send (no outbox): `page(id).post('messages', body)` on a pagekeeper that
 * connected the page's user; before createPageKeeper exists, the Graph client's `post` with the
 * page token. The body is the same Send API JSON every contender sends.
 */
export async function pagekeeperSender(emu: BenchEmulator, userId: string, pageId: string, pageToken: string, psids: string[], text: string): Promise<Via<Sender>> {
  let keeper: BenchPageKeeper | undefined;
  try {
    // As many sockets as the bare loop's Pool, so both keep the same 64 requests on the wire
    // (pagekeeper's default is 16 per origin; `graph.connections` is the documented knob).
    keeper = await openPageKeeper(emu, { graph: { connections: BARE_CONNECTIONS } });
  } catch (e) {
    if (!(e instanceof NotAvailable)) throw e;
  }
  const check = (r: unknown) => {
    const a = r as { message_id?: unknown; messageId?: unknown } | undefined;
    if (typeof a?.message_id !== 'string' && typeof a?.messageId !== 'string') throw new Error('pagekeeper: no message id in the answer');
  };
  if (!keeper) {
    const ctx = await graphContext(emu);
    const path = `${pageId}/messages`;
    return {
      via: 'createGraphClient().post (createPageKeeper not available yet)',
      send: async (i) => check(await ctx.graph.post(path, sendBody(psids[i % psids.length]!, text), { token: pageToken })),
      close: () => ctx.graph.close(),
    };
  }
  const k = keeper;
  try {
    await k.pk.connect(await shortLivedToken(emu, userId));
    const page = k.pk.page(pageId);
    if (typeof page.post !== 'function') throw new NotAvailable('page(id).post(path, body)');
    const post = page.post.bind(page);
    const path = `${pageId}/messages`;
    return {
      via: `page(id).post, graph.connections ${BARE_CONNECTIONS} like the bare loop`,
      send: async (i) => check(await post(path, sendBody(psids[i % psids.length]!, text))),
      close: () => k.close(),
    };
  } catch (e) {
    await k.close().catch(() => {});
    throw e;
  }
}

/** Step 2 through pagekeeper: `exchangeForLongLived(ctx, short)` from src/tokens. */
export async function pagekeeperExchanger(emu: BenchEmulator): Promise<Via<Exchanger>> {
  const mod = await importSrc('tokens/exchange-for-long-lived.js');
  if (!mod || typeof mod.exchangeForLongLived !== 'function') throw new NotAvailable('exchangeForLongLived in src/tokens');
  const exchange = mod.exchangeForLongLived as (ctx: TokenOpsContext, short: string) => Promise<{ accessToken: string }>;
  const ctx = await graphContext(emu);
  return {
    via: 'exchangeForLongLived(ctx, token)',
    exchange: async (short) => (await exchange(ctx, short)).accessToken,
    close: () => ctx.graph.close(),
  };
}

/** Step 3 through pagekeeper: `discoverPages(ctx, userToken)` from src/tokens (follows paging.next). */
export async function pagekeeperLister(emu: BenchEmulator): Promise<Via<Lister>> {
  const mod = await importSrc('tokens/discover-pages.js');
  if (!mod || typeof mod.discoverPages !== 'function') throw new NotAvailable('discoverPages in src/tokens');
  const discover = mod.discoverPages as (ctx: TokenOpsContext, token: string, o: { includeBusinessPages: boolean }) => Promise<unknown[]>;
  const ctx = await graphContext(emu);
  return {
    via: 'discoverPages(ctx, token, { includeBusinessPages: false })',
    listPages: async (token) => (await discover(ctx, token, { includeBusinessPages: false })).length,
    close: () => ctx.graph.close(),
  };
}
