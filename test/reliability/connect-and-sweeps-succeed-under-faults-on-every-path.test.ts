/**
 * With a share of every Graph request failing (each fault kind alone at 30%, then all kinds at
 * 5% each), connecting a 30-page user, the health sweep and its subscription reads succeed 5
 * times out of 5: single reads and batches of reads are retried, null and transient batch items
 * are sent again on their own, and subscribing (safe to repeat) is retried the same way.
 * Default retry bounds; only the backoff is shortened so the test is quick.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/emulator/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { openKeeper } from '../tokens/setup.js';

const PAGES = 30;
const RUNS = 5;
const KINDS: FaultKind[] = ['http500', 'http503', 'reset', 'timeout', 'html502', 'malformed_json', 'transient'];

const CASES: { name: string; faults: { kind: FaultKind; rate: number }[] }[] = [
  ...KINDS.map((kind) => ({ name: `${kind} at 30%`, faults: [{ kind, rate: 0.3 }] })),
  { name: 'every kind at 5%', faults: KINDS.map((kind) => ({ kind, rate: 0.05 })) },
];

describe('connect, sweeps and subscription reads under faults on every path', () => {
  it.each(CASES)('$name: 5 connects and 5 checks of a 30-page user all succeed', async ({ faults }) => {
    const emu = await startTestEmulator();
    await emu.control.setLimits({ enabled: false });
    const user = await emu.control.createUser({ name: 'Thirty Shops', pages: Array.from({ length: PAGES }, (_, i) => ({ name: `Shop ${i + 1}`, subscribed: false })) });
    // A `timeout` fault never answers: a short per-attempt timeout keeps the test quick.
    const { pk } = await openKeeper(emu, { graph: { retryBaseMs: 1, maxBackoffMs: 5, timeoutMs: 250 } });
    // Faults on every path (match "" is in every URL and every batch item's path).
    for (const f of faults) await emu.control.addFault({ match: '', kind: f.kind, rate: f.rate });

    for (let run = 0; run < RUNS; run++) {
      const fresh = await emu.control.shortLivedToken(user.id);
      const connected = await pk.connect(fresh.accessToken);
      expect(connected.pages).toHaveLength(PAGES);
      expect(connected.pages.filter((p) => !p.subscription.subscribed).map((p) => p.subscription.reason)).toEqual([]);

      const checked = await pk.check();
      expect(checked).toMatchObject({ checked: PAGES, healthy: PAGES, tokens: { inspected: PAGES, invalidated: 0, failed: 0 } });
      expect(checked.subscriptions).toMatchObject({ read: PAGES, failed: 0, stillUnsubscribed: [] });
    }

    await emu.control.clearFaults();
    for (const p of user.pages) expect((await emu.control.pageSubscription(p.id)).subscribedFields).toContain('messages');
    expect((await pk.pages()).every((p) => p.status === 'healthy' && p.subscription.subscribed)).toBe(true);
    // Each `timeout` fault costs a whole per-attempt timeout, one after another: allow for it.
  }, 120_000);
});
