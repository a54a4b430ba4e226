/**
 * Adapters from the scenarios to pagekeeper's API: each finds the operation it needs on the
 * library (or throws NotAvailable naming it) and exposes it in the shape the scenario drives.
 */
import type { BenchEmulator } from './emulator-process.js';
import { shortLivedToken } from './fixtures.js';
import { NotAvailable } from './not-available.js';
import { openPageKeeper, type BenchPageKeeper } from './pagekeeper.js';
import { sendBody, type Sender } from '../peers/types.js';

/**
 * pagekeeper's direct send (no outbox): `page(id).post('messages', body)` on a pagekeeper that
 * connected the page's user. The body is the same Send API JSON every contender sends.
 */
export async function pagekeeperSender(emu: BenchEmulator, userId: string, pageId: string, psids: string[], text: string): Promise<Sender & { keeper: BenchPageKeeper }> {
  const keeper = await openPageKeeper(emu);
  try {
    await keeper.pk.connect(await shortLivedToken(emu, userId));
    const page = keeper.pk.page(pageId);
    if (typeof page.post !== 'function') throw new NotAvailable('page(id).post(path, body) (issue 3)');
    const post = page.post.bind(page);
    return {
      keeper,
      send: async (i) => {
        const r = (await post('messages', sendBody(psids[i % psids.length]!, text))) as { message_id?: unknown; messageId?: unknown } | undefined;
        if (typeof r?.message_id !== 'string' && typeof r?.messageId !== 'string') throw new Error('pagekeeper: no message id in the answer');
      },
      close: () => keeper.close(),
    };
  } catch (e) {
    await keeper.close().catch(() => {});
    throw e;
  }
}
