/**
 * List the 500 pages of one user (Step 3), following paging.next to the end:
 * pagekeeper's discoverPages vs fb and facebook-nodejs-business-sdk (each asking limit=100, as
 * pagekeeper does) vs the bare undici loop. The unit is complete 500-page listings per second.
 * No target is set: reported, passes when every contender measured and saw all 500.
 */
import { ContenderSet } from '../lib/contenders.js';
import { createUser, exchangeForLongLived } from '../lib/fixtures.js';
import { compareRates, type Contender } from '../lib/measure.js';
import { pagekeeperLister } from '../lib/pagekeeper-ops.js';
import { plan } from '../lib/plan.js';
import { compareRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';
import { bareUndici, PEERS } from '../peers/index.js';
import type { Lister } from '../peers/types.js';

const PAGES = 500;
const NAME = 'list 500 pages';
const YARDSTICKS = [bareUndici, ...PEERS.filter((p) => p.lister)];

export const scenario: Scenario = {
  id: 'list-pages',
  subject: 'tokens',
  rows: YARDSTICKS.map((p) => ({ name: `${NAME} vs ${p.name}`, unit: 'lists/s', yardstick: p.name, target: 'none (reported)' })),
  run: async (ctx) => {
    const emu = ctx.emulator;
    const user = await createUser(emu, 'Bench Lister', PAGES);
    const userToken = await exchangeForLongLived(emu, user.shortLivedToken);
    const set = new ContenderSet<Lister>(ctx.log);
    let via = '';
    await set.open('pagekeeper', async () => {
      const l = await pagekeeperLister(emu);
      via = `pagekeeper via ${l.via}`;
      return l;
    });
    for (const p of YARDSTICKS) if (p.lister) await set.open(p.name, () => p.lister!(emu));

    const contenders: Contender[] = set.ready().map(([name, lister]) => ({
      name,
      once: async (n) => {
        for (let i = 0; i < n; i++) {
          const seen = await lister.listPages(userToken);
          if (seen !== PAGES) throw new Error(`${name} listed ${seen} pages, expected ${PAGES}`);
        }
      },
    }));
    const p = plan(ctx);
    const work = ctx.options.quick ? 5 : 10;
    const results = await compareRates(contenders, { ...p, work, warmupWork: 2, log: ctx.log });
    await set.closeAll();
    return YARDSTICKS.map((y) =>
      compareRow({
        name: `${NAME} vs ${y.name}`,
        unit: 'lists/s',
        yardstick: y.name,
        pagekeeper: set.outcome('pagekeeper', results),
        yardstickOutcome: set.outcome(y.name, results, 'this library has no way to list a user\'s pages'),
        minRatio: null,
        note: via,
      }),
    );
  },
};
