/**
 * Through the service: while Graph fails a share of calls in each way, the REST
 * routes that call Facebook (check, token reads, sends through the outbox) answer 2xx or a
 * coded error, never a bare 500, and never hang.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FaultKind } from '../../src/emulator/index.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { keeperOptions, startTestEmulator, GRAPH_VERSION } from '../helpers/emulator.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const KINDS: FaultKind[] = ['http500', 'http503', 'reset', 'timeout', 'html502', 'malformed_json', 'transient'];
const ROUNDS = SOAK ? 40 : 8;

describe.each(KINDS)('with %s faults', (kind) => {
  it('REST calls that reach Facebook answer 2xx or a coded error', async () => {
    const emu = await startTestEmulator();
    await emu.control.setLimits({ enabled: false });
    const pk = await createPageKeeper(keeperOptions(emu, { graph: { timeoutMs: 250, retryBaseMs: 1, maxBackoffMs: 5, maxRetries: 1 } }));
    const deps = createServiceDeps(
      pk,
      { publicUrl: undefined, verifyToken: undefined, adminKey: undefined, forwardUrl: undefined, notifyWebhookSecret: undefined, keys: undefined, devOpenDashboard: false },
      { apiKeys: { cacheTtlMs: 0 }, outbox: pk.messenger },
    );
    const server = await buildServer(deps);
    onTestFinished(async () => {
      await server.shutdown(2000);
      await pk.close();
    });
    const pages = (await pk.connect(emu.users[0]!.shortLivedToken)).pages.map((p) => p.id);
    const { psid } = await emu.control.inbound(pages[0]!, { text: 'hi' });
    await pk.messenger.recordInbound(pages[0]!, psid, Date.now());
    const { key } = await deps.apiKeys.create({ name: 'faults', scopes: ['pages:read', 'pages:check', 'tokens:read', 'messages:write'] });
    const auth = { authorization: `Bearer ${key}` };
    await emu.control.addFault({ match: `/${GRAPH_VERSION}/`, kind, rate: 0.2 });

    for (let i = 0; i < ROUNDS; i++) {
      const page = pages[i % pages.length]!;
      for (const [method, url, payload] of [
        ['POST', `/v1/pages/${page}/check`],
        ['GET', `/v1/pages/${page}/token`],
        ['GET', `/v1/pages/${page}`],
        ['POST', `/v1/pages/${pages[0]}/messages`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: `round ${i}` } }],
      ] as const) {
        const res = await server.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
        if (res.statusCode >= 400) {
          const code = (res.json() as { error?: { code?: string } }).error?.code;
          expect(code, `${method} ${url} -> ${res.statusCode}: ${res.body}`).toMatch(/^PK_[A-Z_]+$/);
          expect(res.statusCode, `${method} ${url}: ${res.body}`).not.toBe(500);
        }
      }
    }
    // A fault is not a dead token: no page lost its token to a failed check.
    const invalid = await pk.context.store.db.selectFrom('page_tokens').select('page_id').where('status', '!=', 'valid').execute();
    expect(invalid).toEqual([]);
  }, 60_000);
});
