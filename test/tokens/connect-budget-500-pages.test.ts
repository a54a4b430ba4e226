import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { openKeeper } from './setup.js';

/**
 * The emulator counts every batch item as a call (as Facebook does for rate limits), so HTTP
 * requests are its total minus the debug_token items that travelled inside batches.
 */
describe('connecting a person with 500 pages', () => {
  it('takes at most 20 Graph requests: paging at limit 100 and debug_token in batches of 50', async () => {
    const emu = await startTestEmulator();
    const created = await emu.control.createUser({ name: 'Franchise', pages: Array.from({ length: 500 }, (_, i) => ({ name: `Branch ${i}` })), scopes: ['pages_show_list', 'pages_messaging'] });
    await emu.control.setLimits({ enabled: false });
    const { pk } = await openKeeper(emu);
    await emu.control.resetStats();

    const result = await pk.connect(created.shortLivedToken);
    expect(result.pages).toHaveLength(500);

    const stats = await emu.control.stats();
    const batches = stats.calls['POST /'] ?? 0;
    const debugItems = 500; // one per page token, inside the batches
    const requests = stats.total - debugItems;
    expect(batches).toBe(10);
    expect(stats.calls['GET /me/accounts']).toBe(5);
    expect(requests).toBeLessThanOrEqual(20);
  });
});
