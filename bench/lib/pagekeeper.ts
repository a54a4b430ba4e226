/**
 * Loads pagekeeper's library API for the scenarios, if it exists yet.
 *
 * The bench is written while the library is: each scenario asks for the piece it measures and
 * gets a `NotAvailable` naming that piece when it is missing, so the table shows the gap.
 * The types below are the library's documented shapes (`createPageKeeper({ appId, appSecret,
 * database, keys, graphUrl?, graphVersion? })` with `connect()`, `page(id).token()`,
 * `page(id).post()`, `check()`, `close()`); they are checked at run time, not trusted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BenchEmulator } from './emulator-process.js';
import { GRAPH_VERSION } from './fixtures.js';
import { NotAvailable } from './not-available.js';

export interface PageHandle {
  token: () => Promise<string>;
  post?: (path: string, body: Record<string, unknown>) => Promise<unknown>;
}

export interface PageKeeperLike {
  connect: (shortLivedUserToken: string) => Promise<unknown>;
  page: (id: string) => PageHandle;
  check?: () => Promise<unknown>;
  close: () => Promise<void>;
  [k: string]: unknown;
}

type CreatePageKeeper = (options: Record<string, unknown>) => PageKeeperLike | Promise<PageKeeperLike>;

const MODULE_URL = new URL('../../src/pagekeeper.js', import.meta.url).href;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function importOrNull(url: string): Promise<Record<string, any> | null> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw e;
  }
}

export async function loadCreatePageKeeper(): Promise<CreatePageKeeper> {
  const mod = await importOrNull(MODULE_URL);
  if (!mod || typeof mod.createPageKeeper !== 'function') throw new NotAvailable('createPageKeeper in src/pagekeeper.ts');
  return mod.createPageKeeper as CreatePageKeeper;
}

/** Imports a module of src/ by its path relative to src/, or null when it does not exist yet. */
export async function importSrc(path: string): Promise<Record<string, unknown> | null> {
  return importOrNull(new URL(`../../src/${path}`, import.meta.url).href);
}

export interface BenchPageKeeper {
  pk: PageKeeperLike;
  dir: string;
  close: () => Promise<void>;
}

/** A pagekeeper on a throwaway SQLite file in a temp directory, pointed at the emulator. */
export async function openPageKeeper(emu: BenchEmulator, extra: Record<string, unknown> = {}): Promise<BenchPageKeeper> {
  const create = await loadCreatePageKeeper();
  const dir = mkdtempSync(join(tmpdir(), 'pk-bench-'));
  const pk = await create({
    appId: emu.appId,
    appSecret: emu.appSecret,
    database: `sqlite:${join(dir, 'bench.db')}`,
    keys: `k1:${randomBytes(32).toString('base64')}`,
    graphUrl: emu.url,
    graphVersion: GRAPH_VERSION,
    ...extra,
  });
  for (const m of ['connect', 'page', 'close'] as const) {
    if (typeof pk[m] !== 'function') throw new NotAvailable(`createPageKeeper().${m}()`);
  }
  return {
    pk,
    dir,
    close: async () => {
      await pk.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
