/**
 * Shared set-up for the token-flow tests: a PageKeeper over a fresh SQLite file pointed at an
 * emulator, a key, a logger that keeps every line, and a driver for the emulator's Login dialog.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper, type PageKeeperOptions } from '../../src/pagekeeper.js';
import type { Logger } from '../../src/core/logger.js';
import { keeperOptions } from '../helpers/emulator.js';

export const newKey = (id = 'k1') => `${id}:${randomBytes(32).toString('base64')}`;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pk-tokens-'));
}

/** A logger that records every line as JSON text, to search for secrets. */
export function captureLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), text: () => lines.join('\n') };
}

export interface TestKeeper {
  pk: PageKeeper;
  dbFile: string;
  keys: string;
  logger: ReturnType<typeof captureLogger>;
}

/** A PageKeeper against `emu`, closed when the test ends. */
export async function openKeeper(emu: RunningEmulator, options: Partial<PageKeeperOptions> & { dbFile?: string } = {}): Promise<TestKeeper> {
  const { dbFile: givenDbFile, ...rest } = options;
  const dbFile = givenDbFile ?? join(tempDir(), 'pk.db');
  const keys = 'keys' in options ? options.keys : newKey();
  const logger = captureLogger();
  const pk = await createPageKeeper(keeperOptions(emu, { database: `sqlite:${dbFile}`, logger, graph: { retryBaseMs: 1, maxBackoffMs: 5 }, ...rest, keys }));
  onTestFinished(() => pk.close());
  return { pk, dbFile, keys: keys ?? '', logger };
}

/**
 * Goes through the emulator's Login dialog like a person: opens it, keeps only `pageIds`
 * ticked (all by default), presses Continue, and returns the redirect Facebook would send.
 */
export async function loginThroughDialog(dialogUrl: string, options: { pageIds?: string[]; cancel?: boolean } = {}): Promise<URL> {
  const html = await (await fetch(dialogUrl)).text();
  const rawAction = html.match(/<form method="post" action="([^"]+)"/)?.[1];
  const action = rawAction === undefined ? undefined : decodeHtml(rawAction);
  if (!action) throw new Error(`no form in the dialog:\n${html.slice(0, 500)}`);
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1]!, decodeHtml(m[2]!));
  const offered = [...html.matchAll(/name="page" value="([^"]+)"/g)].map((m) => m[1]!);
  for (const id of offered) if (!options.pageIds || options.pageIds.includes(id)) form.append('page', id);
  form.set('action', options.cancel ? 'cancel' : 'continue');
  const res = await fetch(action, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`dialog answered ${res.status}`);
  return new URL(location);
}

function decodeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
