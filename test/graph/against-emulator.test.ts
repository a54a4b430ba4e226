/**
 * The client against pagekeeper's Graph emulator over a real socket, with appsecret_proof
 * required: the four token steps, paging, batches, and injected faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import { accessTokenResponseSchema, debugTokenResponseSchema, meSchema, pageAccountSchema, sendMessageResponseSchema } from '../../src/graph/schemas.js';
import { toTokenInspection } from '../../src/graph/to-token-inspection.js';
import { captureLogger, failure } from './stub-server.js';

let emu: RunningEmulator;
let client: GraphClient;
const log = captureLogger();
const sleeps: number[] = [];

beforeAll(async () => {
  emu = await startEmulator({ requireAppsecretProof: true });
  client = createGraphClient({
    graphUrl: emu.url,
    appId: emu.appId,
    appSecret: emu.appSecret,
    logger: log.logger,
    timeoutMs: 300,
    sleep: async (ms) => void sleeps.push(ms),
  });
});
afterAll(async () => {
  await client.close();
  await emu.close();
});
beforeEach(async () => {
  await emu.control.clearFaults();
  sleeps.length = 0;
});

async function longLived(shortToken: string): Promise<string> {
  const res = await client.get(
    'oauth/access_token',
    { grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: shortToken },
    { schema: accessTokenResponseSchema },
  );
  return res.access_token;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('the Graph client against the emulator', () => {
  it('walks the token steps: long-lived user token, every page token, never-expiring per debug_token', async () => {
    const user = emu.users[0]!;
    const long = await longLived(user.shortLivedToken);
    const me = await client.get('me', {}, { token: long, schema: meSchema });
    expect(me.id).toBe(user.id);

    const pages = await collect(client.paginate('me/accounts', { limit: 2 }, { token: long, itemSchema: pageAccountSchema }));
    expect(pages.map((p) => p.id).sort()).toEqual(user.pages.map((p) => p.id).sort());

    const results = await client.batch(
      pages.map((p) => ({ method: 'GET' as const, relativeUrl: `debug_token?input_token=${encodeURIComponent(p.access_token)}` })),
      { token: client.appToken() },
    );
    for (const r of results) {
      expect(r.error).toBeUndefined();
      const inspection = toTokenInspection(debugTokenResponseSchema.parse(r.body).data);
      expect(inspection).toMatchObject({ isValid: true, type: 'PAGE', expiresAt: null });
    }
  });

  it('reads all 60 pages of a user with many pages', async () => {
    const user = await emu.control.createUser({ name: 'Many Pages', pages: Array.from({ length: 60 }, (_, i) => ({ name: `Shop ${i}` })) });
    const pages = await collect(client.paginate('me/accounts', {}, { token: user.shortLivedToken, itemSchema: pageAccountSchema }));
    expect(new Set(pages.map((p) => p.id)).size).toBe(60);
  });

  it('sends a Messenger message with a page token', async () => {
    const user = emu.users[0]!;
    const long = await longLived(user.shortLivedToken);
    const [page] = await collect(client.paginate('me/accounts', {}, { token: long, itemSchema: pageAccountSchema }));
    const inbound = await emu.control.inbound(page!.id, { text: 'hello' });
    const sent = await client.post(`${page!.id}/messages`, { recipient: { id: inbound.psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } }, { token: page!.access_token, schema: sendMessageResponseSchema });
    expect(sent.recipient_id).toBe(inbound.psid);
  });

  it.each(['html502', 'http500', 'http503', 'malformed_json', 'transient'] as const)('retries a GET through one %s fault', async (kind) => {
    await emu.control.addFault({ match: '/me', kind, count: 1 });
    const me = await client.get('me', {}, { token: emu.users[0]!.shortLivedToken, schema: meSchema });
    expect(me.id).toBe(emu.users[0]!.id);
    expect(sleeps).toHaveLength(1);
  });

  it('does not resend a message after a reset (it may have gone out)', async () => {
    await emu.control.addFault({ match: '/messages', kind: 'reset', count: 1 });
    const err = await failure(client.post('123/messages', { recipient: { id: '1' }, message: { text: 'x' } }, { token: emu.users[0]!.shortLivedToken }));
    expect(err).toMatchObject({ delivery: 'unknown', kind: 'transient' });
    expect(sleeps).toHaveLength(0);
  });

  it('times out on a hanging answer', async () => {
    await emu.control.addFault({ match: '/me', kind: 'timeout', count: 1, delayMs: 1500 });
    const err = await failure(client.get('me', {}, { token: emu.users[0]!.shortLivedToken, retry: false }));
    expect(err).toMatchObject({ pkCode: 'PK_GRAPH_TIMEOUT', delivery: 'unknown' });
  });

  // Last but one: advancing the clock expires every short-lived token of the seed.
  it('reports an expired short-lived token as token_invalid / expired', async () => {
    const user = await emu.control.createUser({ name: 'Late', pages: [{ name: 'Late Page' }] });
    await emu.control.advanceClock(3 * 3600);
    const err = await failure(longLived(user.shortLivedToken));
    expect(err).toMatchObject({ kind: 'token_invalid', code: 190, httpStatus: 400 });
    expect(err.tokenReason).toBe('expired');
  });

  it('kept every token and the app secret out of its log lines', () => {
    const text = log.lines.join('\n');
    expect(log.lines.length).toBeGreaterThan(10);
    expect(text).not.toContain(emu.appSecret);
    for (const u of emu.users) expect(text).not.toContain(u.shortLivedToken);
    expect(text).not.toMatch(/access_token=(?!\*\*\*)/);
  });
});
