/**
 * `pagekeeper bot-profile <page-id> [--get-started PAYLOAD] [--greeting TEXT] [--menu FILE.json]
 * [--ice-breakers FILE.json] [--json]`: the Page's bot settings (Messenger Profile API). Without
 * options it prints them; with options it sets those properties (others stay), after checking
 * them with Facebook's limits (PK_BOT_PROFILE_INVALID, no Graph call), then prints the result.
 *
 * `--menu FILE.json`: Facebook's `persistent_menu` array (`[{"locale":"default","call_to_actions":[...]}]`),
 * or just the buttons (`[{"type":"postback","title":"Help","payload":"HELP"}]`) for the default locale.
 * `--ice-breakers FILE.json`: `[{"question","payload"}]`, or Facebook's per-locale form.
 * `--greeting TEXT` sets the default locale's greeting. docs/messenger-profile.md.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pkError } from '../../errors.js';
import type { MessengerProfile } from '../../messenger/messenger-profile.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

const USAGE = 'usage: pagekeeper bot-profile <page-id> [--get-started PAYLOAD] [--greeting TEXT] [--menu FILE.json] [--ice-breakers FILE.json] [--json]';

export interface BotProfileJson {
  pageId: string;
  /** The properties this run set; empty when it only read. */
  set: string[];
  profile: MessengerProfile;
}

async function readJsonFile(ctx: CommandContext, file: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (e) {
    throw pkError('PK_USAGE', { detail: `${option} ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})` });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw pkError('PK_USAGE', { detail: `${option} ${file}: not JSON (${(e as Error).message})` });
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A file holding `{ "persistent_menu": [...] }`, the menu array itself, or only its buttons. */
function menuFrom(v: unknown): unknown {
  const list = isObj(v) && 'persistent_menu' in v ? v.persistent_menu : v;
  if (Array.isArray(list) && list.length > 0 && list.every((x) => isObj(x) && 'type' in x)) return [{ locale: 'default', composer_input_disabled: false, call_to_actions: list }];
  return list;
}

function iceBreakersFrom(v: unknown): unknown {
  return isObj(v) && 'ice_breakers' in v ? v.ice_breakers : v;
}

function describe(p: MessengerProfile): string {
  const lines: string[] = [];
  lines.push(`get started: ${p.get_started ? p.get_started.payload : '(not set)'}`);
  lines.push(`greeting:    ${p.greeting ? p.greeting.map((g) => `[${g.locale}] ${g.text}`).join(' | ') : '(not set)'}`);
  const menu = p.persistent_menu?.find((m) => m.locale === 'default') ?? p.persistent_menu?.[0];
  lines.push(`menu:        ${menu ? (menu.call_to_actions ?? []).map((b) => b.title).join(', ') : '(not set)'}`);
  const ice = p.ice_breakers ? (p.ice_breakers as unknown[]).flatMap((x) => (isObj(x) && Array.isArray(x.call_to_actions) ? x.call_to_actions : [x])) : undefined;
  lines.push(`ice breakers: ${ice ? ice.map((q) => (isObj(q) ? String(q.question) : '')).join(' | ') : '(not set)'}`);
  if (p.whitelisted_domains) lines.push(`domains:     ${p.whitelisted_domains.join(', ')}`);
  return lines.join('\n');
}

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult<BotProfileJson>> {
  const [pageId] = args;
  if (!pageId || !/^\d{1,32}$/.test(pageId)) throw pkError('PK_USAGE', { detail: USAGE });
  const change: Record<string, unknown> = {};
  if (typeof options.getStarted === 'string') change.get_started = { payload: options.getStarted };
  if (typeof options.greeting === 'string') change.greeting = [{ locale: 'default', text: options.greeting }];
  if (typeof options.menu === 'string') change.persistent_menu = menuFrom(await readJsonFile(ctx, options.menu, '--menu'));
  if (typeof options.iceBreakers === 'string') change.ice_breakers = iceBreakersFrom(await readJsonFile(ctx, options.iceBreakers, '--ice-breakers'));
  return withPageKeeper(ctx, async (pk) => {
    const bot = pk.page(pageId).messengerProfile;
    if (Object.keys(change).length > 0) await bot.set(change as MessengerProfile);
    const profile = await bot.get();
    const set = Object.keys(change);
    return { data: { pageId, set, profile }, human: `${set.length > 0 ? `set ${set.join(', ')}\n` : ''}${describe(profile)}` };
  });
}
