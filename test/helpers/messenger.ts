/**
 * Test helper for Messenger sending: an in-process emulator and a PageKeeper (SQLite, in memory
 * or a file) that has connected the emulator's first user, with one person who wrote to the
 * first Page (window open). Everything closes when the test ends.
 */
import { onTestFinished } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper, type PageKeeperOptions } from '../../src/pagekeeper.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { keeperOptions } from './emulator.js';

export interface MessengerWorld {
  emu: RunningEmulator;
  pk: PageKeeper;
  /** PAGEKEEPER_KEYS text, for a second process on the same database. */
  keys: string;
  database: string;
  pageId: string;
  psid: string;
  /** A new person who just wrote to the page (window open, recorded in pagekeeper too). */
  person(pageId?: string): Promise<string>;
  /** What the page really sent, as the emulator recorded it. */
  sent(pageId?: string): Promise<Array<{ messageId: string; recipientId: string; message: { text?: string } | null }>>;
}

export async function startMessengerWorld(options: { database?: string; graphTimeoutMs?: number; messenger?: PageKeeperOptions['messenger'] } = {}): Promise<MessengerWorld> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0 });
  const keys = generateKeyEntry('t1');
  const database = options.database ?? 'sqlite::memory:';
  const opened: { pk?: PageKeeper } = {};
  onTestFinished(async () => {
    await opened.pk?.close();
    await emu.close();
  });
  const pk = (opened.pk = await createPageKeeper(
    keeperOptions(emu, {
      database,
      keys,
      ...(options.graphTimeoutMs === undefined ? {} : { graph: { timeoutMs: options.graphTimeoutMs } }),
      ...(options.messenger === undefined ? {} : { messenger: options.messenger }),
    }),
  ));
  await pk.connect(emu.users[0]!.shortLivedToken);
  const firstPage = emu.users[0]!.pages[0]!.id;
  const keeper = pk;
  const person = async (pageId = firstPage) => {
    const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
    await keeper.messenger.recordInbound(pageId, psid, Date.now());
    return psid;
  };
  const psid = await person();
  return {
    emu,
    pk,
    keys,
    database,
    pageId: firstPage,
    psid,
    person,
    sent: async (pageId = firstPage) => (await emu.control.sentMessages(pageId)) as Awaited<ReturnType<MessengerWorld['sent']>>,
  };
}

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A text message body for `enqueue`. */
export function textBody(psid: string, text: string, extra: Record<string, unknown> = {}) {
  return { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text }, ...extra };
}
