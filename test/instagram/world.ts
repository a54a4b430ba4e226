/**
 * Test world for Instagram messaging: an emulator whose user manages a Page with a linked
 * Instagram account (and one Page without), and a PageKeeper that connected the user with the
 * Instagram scopes. Everything closes when the test ends.
 */
import { onTestFinished } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper, type PageKeeperOptions } from '../../src/pagekeeper.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';

export const IG_SCOPES = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'pages_read_engagement', 'instagram_basic', 'instagram_manage_messages'];

export interface InstagramWorld {
  emu: RunningEmulator;
  pk: PageKeeper;
  userId: string;
  pageId: string;
  igId: string;
  plainPageId: string;
  /** For a CLI on the same database. */
  keys: string;
  database: string;
}

export async function startInstagramWorld(
  options: { scopes?: string[]; database?: string; messenger?: PageKeeperOptions['messenger']; clock?: PageKeeperOptions['clock'] } = {},
): Promise<InstagramWorld> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, seed: { users: [] } });
  const opened: { pk?: PageKeeper } = {};
  onTestFinished(async () => {
    await opened.pk?.close();
    await emu.close();
  });
  const user = await emu.control.createUser({
    name: 'Ines Instagram',
    scopes: options.scopes ?? IG_SCOPES,
    pages: [{ name: 'Fjord Coffee', instagram: { username: 'fjord.coffee' } }, { name: 'Plain Page' }],
  });
  const keys = generateKeyEntry('t1');
  const database = options.database ?? 'sqlite::memory:';
  const pk = (opened.pk = await createPageKeeper({
    appId: emu.appId,
    appSecret: emu.appSecret,
    database,
    keys,
    graphUrl: emu.url,
    dialogUrl: emu.dialogUrl,
    ...(options.messenger === undefined ? {} : { messenger: options.messenger }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  }));
  await pk.connect(user.shortLivedToken);
  const page = user.pages[0]!;
  return { emu, pk, userId: user.id, pageId: page.id, igId: page.instagram!.id, plainPageId: user.pages[1]!.id, keys, database };
}
