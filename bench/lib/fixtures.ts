/**
 * Setting up emulator state for scenarios: users with pages, long-lived tokens, page tokens and
 * open 24-hour windows. Done with plain HTTP calls (not pagekeeper) so that the fixtures work
 * before pagekeeper's own APIs exist and cannot flatter them.
 */
import { createHmac } from 'node:crypto';
import type { BenchEmulator } from './emulator-process.js';

import { DEFAULT_GRAPH_VERSION } from '../../src/config/load-config.js';

export const GRAPH_VERSION = DEFAULT_GRAPH_VERSION;

export interface CreatedUser {
  id: string;
  name: string;
  shortLivedToken: string;
  pages: Array<{ id: string; name: string; tasks: string[] }>;
}

export function appsecretProof(token: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

/** Turns off the emulator's rate limits so that only speed is measured. */
export async function disableLimits(emu: BenchEmulator): Promise<void> {
  await emu.control('PUT', '/_emulator/limits', { enabled: false });
}

export async function createUser(emu: BenchEmulator, name: string, pageCount: number, scopes?: string[]): Promise<CreatedUser> {
  const pages = Array.from({ length: pageCount }, (_, i) => ({ name: `${name} page ${i + 1}` }));
  return emu.control<CreatedUser>('POST', '/_emulator/users', { name, pages, ...(scopes ? { scopes } : {}) });
}

export async function shortLivedToken(emu: BenchEmulator, userId: string): Promise<string> {
  const r = await emu.control<{ accessToken: string }>('POST', `/_emulator/users/${encodeURIComponent(userId)}/short-lived-token`, {});
  return r.accessToken;
}

export async function exchangeForLongLived(emu: BenchEmulator, short: string): Promise<string> {
  const q = new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: short });
  const r = await emu.control<{ access_token: string }>('GET', `/${GRAPH_VERSION}/oauth/access_token?${q}`);
  return r.access_token;
}

export async function pageToken(emu: BenchEmulator, userToken: string, pageId: string): Promise<string> {
  const q = new URLSearchParams({ fields: 'access_token', access_token: userToken, appsecret_proof: appsecretProof(userToken, emu.appSecret) });
  const r = await emu.control<{ access_token: string }>('GET', `/${GRAPH_VERSION}/${encodeURIComponent(pageId)}?${q}`);
  return r.access_token;
}

/** Delivers an inbound message so that the page may answer that person (opens the 24 h window). */
export async function openWindow(emu: BenchEmulator, pageId: string): Promise<string> {
  const r = await emu.control<{ psid: string }>('POST', `/_emulator/pages/${encodeURIComponent(pageId)}/inbound`, { text: 'hello page' });
  return r.psid;
}

export interface EmulatorStats {
  calls: Record<string, number>;
  total: number;
}

export async function stats(emu: BenchEmulator): Promise<EmulatorStats> {
  return emu.control<EmulatorStats>('GET', '/_emulator/stats');
}

/** Graph calls made between two stats snapshots (control-API calls excluded). */
export function graphCallsBetween(before: EmulatorStats, after: EmulatorStats): { total: number; byEndpoint: Record<string, number> } {
  const byEndpoint: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(after.calls)) {
    if (k.includes('/_emulator')) continue;
    const d = v - (before.calls[k] ?? 0);
    if (d > 0) {
      byEndpoint[k] = d;
      total += d;
    }
  }
  return { total, byEndpoint };
}
