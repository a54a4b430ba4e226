/**
 * Exchange 1,000 short-lived user tokens for long-lived ones (Step 2), 64 in flight:
 * pagekeeper's exchangeForLongLived vs the peers that can (fb, facebook-nodejs-business-sdk) vs
 * the bare undici loop. Fresh short-lived tokens are minted through the control API before each
 * run, untimed. No target is set for this comparison: it is reported, and passes when
 * every contender measured.
 */
import { ContenderSet } from '../lib/contenders.js';
import { createUser, shortLivedToken } from '../lib/fixtures.js';
import { compareRates, runConcurrent, type Contender } from '../lib/measure.js';
import { pagekeeperExchanger } from '../lib/pagekeeper-ops.js';
import { plan } from '../lib/plan.js';
import { compareRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';
import { bareUndici, PEERS } from '../peers/index.js';
import type { Exchanger } from '../peers/types.js';

const TOKENS = 1_000;
const CONCURRENCY = 64;
const NAME = 'exchange 1,000 tokens';
const YARDSTICKS = [bareUndici, ...PEERS.filter((p) => p.exchanger)];

export const scenario: Scenario = {
  id: 'exchange-tokens',
  subject: 'tokens',
  rows: YARDSTICKS.map((p) => ({ name: `${NAME} vs ${p.name}`, unit: 'tokens/s', yardstick: p.name, target: 'none (reported)' })),
  run: async (ctx) => {
    const emu = ctx.emulator;
    const user = await createUser(emu, 'Bench Exchanger', 1);
    const set = new ContenderSet<Exchanger>(ctx.log);
    let via = '';
    await set.open('pagekeeper', async () => {
      const e = await pagekeeperExchanger(emu);
      via = `pagekeeper via ${e.via}`;
      return e;
    });
    for (const p of YARDSTICKS) if (p.exchanger) await set.open(p.name, () => p.exchanger!(emu));

    let tokens: string[] = [];
    const contenders: Contender[] = set.ready().map(([name, ex]) => ({
      name,
      prepare: async (n) => {
        tokens = new Array<string>(n);
        await runConcurrent(n, 16, async (i) => {
          tokens[i] = await shortLivedToken(emu, user.id);
        });
      },
      once: (n) =>
        runConcurrent(n, CONCURRENCY, async (i) => {
          const long = await ex.exchange(tokens[i]!);
          if (typeof long !== 'string' || long === '') throw new Error(`${name}: no access_token in the answer`);
        }),
    }));
    const results = await compareRates(contenders, { ...plan(ctx), work: TOKENS, log: ctx.log });
    await set.closeAll();
    return YARDSTICKS.map((p) =>
      compareRow({
        name: `${NAME} vs ${p.name}`,
        unit: 'tokens/s',
        yardstick: p.name,
        pagekeeper: set.outcome('pagekeeper', results),
        yardstickOutcome: set.outcome(p.name, results, 'this library has no way to exchange tokens'),
        minRatio: null,
        note: via,
      }),
    );
  },
};
