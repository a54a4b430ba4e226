/**
 * Test helper: an in-process Graph API emulator on 127.0.0.1 with a free port.
 *
 *   // one emulator per test, closed by the helper:
 *   it('sends', async () => {
 *     await withEmulator(async (emu) => { ... emu.url, emu.users[0].shortLivedToken, emu.control.inbound(...) });
 *   });
 *
 *   // or one per file / per test with vitest hooks:
 *   const emu = await startTestEmulator();   // closes itself in afterEach/afterAll of the current scope
 *
 * `startTestEmulator` registers its own `onTestFinished` (inside a test) or `afterAll` (at
 * file/describe level), so every emulator stops by itself.
 *
 * Also exported: `graph(emu, path, init)` — fetch a Graph path (`v25.0/me?...`) and get
 * `{status, headers, json}`; `longLivedToken(emu, user)` — exchanges the short-lived token.
 */
import { afterAll, onTestFinished } from 'vitest';
import type { RunningEmulator, StartEmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { PageKeeperOptions } from '../../src/pagekeeper.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { DEFAULT_GRAPH_VERSION } from '../../src/config/load-config.js';

export type TestEmulator = RunningEmulator;

/** The version pagekeeper calls by default (the newest Meta lists): tests read it instead of repeating a literal. */
export const GRAPH_VERSION = DEFAULT_GRAPH_VERSION;

/** Starts an emulator (port 0, 127.0.0.1) that closes when the current test (or file, at top level) ends. */
export async function startTestEmulator(opts: StartEmulatorOptions = {}): Promise<TestEmulator> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, ...opts });
  try {
    onTestFinished(() => emu.close());
  } catch {
    // Not inside a test: close after the enclosing file/describe.
    afterAll(() => emu.close());
  }
  return emu;
}

/** Runs `fn` with a fresh emulator and closes it afterwards, whatever happens. */
export async function withEmulator<T>(fn: (emu: TestEmulator) => Promise<T>, opts: StartEmulatorOptions = {}): Promise<T> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, ...opts });
  try {
    return await fn(emu);
  } finally {
    await emu.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read Graph JSON freely
export interface GraphResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** Calls the emulator's Graph API: `graph(emu, 'v25.0/me?access_token=...')`; `body` objects are sent as JSON, `form` as a form. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see GraphResponse
export async function graph<T = any>(
  emu: { url: string },
  path: string,
  init: { method?: string; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<GraphResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${emu.url}/${path.replace(/^\/+/, '')}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = undefined as T;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Exchanges a user's short-lived token for a long-lived one (step 2). */
export async function longLivedToken(emu: TestEmulator, shortLivedToken = emu.users[0]!.shortLivedToken): Promise<string> {
  const q = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: shortLivedToken });
  const r = await graph<{ access_token: string }>(emu, `${GRAPH_VERSION}/oauth/access_token?${q}`);
  if (r.status !== 200) throw new Error(`token exchange failed: ${r.text}`);
  return r.json.access_token;
}

/** The page tokens /me/accounts hands out for a user token, by page id. */
export async function pageTokens(emu: TestEmulator, userToken: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let next: string | undefined = `${emu.url}/${GRAPH_VERSION}/me/accounts?access_token=${encodeURIComponent(userToken)}`;
  while (next) {
    const res = await fetch(next);
    const body = (await res.json()) as { data: { id: string; access_token: string }[]; paging?: { next?: string } };
    for (const p of body.data) out.set(p.id, p.access_token);
    next = body.paging?.next;
  }
  return out;
}

/**
 * createPageKeeper's options for a PageKeeper over `emu`: its app, its Graph and Login URLs, an
 * in-memory SQLite store and a fresh key unless `overrides` say otherwise.
 */
export function keeperOptions(emu: RunningEmulator, overrides: Partial<PageKeeperOptions> = {}): PageKeeperOptions {
  return {
    appId: emu.appId,
    appSecret: emu.appSecret,
    graphUrl: emu.url,
    dialogUrl: emu.dialogUrl,
    database: 'sqlite::memory:',
    keys: generateKeyEntry('t1'),
    ...overrides,
  };
}
