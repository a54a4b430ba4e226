/**
 * `pagekeeper doctor`: checks, in order, everything connect and the service need (config, key,
 * database, Graph reachable, app token valid, Graph version still served, the app's webhook
 * subscription and the connected Pages' subscriptions) and says for each line either ok or what
 * to fix. Exits 1 when any check fails. Never prints a secret.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type PageKeeperConfig } from '../../config/load-config.js';
import { isPageKeeperError } from '../../errors.js';
import { createGraphClient } from '../../graph/create-graph-client.js';
import { isGraphError } from '../../graph/graph-error.js';
import { debugTokenResponseSchema } from '../../graph/schemas.js';
import { toTokenInspection } from '../../graph/to-token-inspection.js';
import { createStore } from '../../store/create-store.js';
import { parseKeys } from '../../store/crypto/parse-keys.js';
import { judgeAppSubscription, messengerCallbackUrl, readAppSubscriptions } from '../../subscriptions/app-subscription.js';
import { describeGraphVersion, judgeGraphVersion } from '../../core/graph-versions.js';
import type { CommandContext, CommandResult } from '../context.js';
import { liveChecklist, type LiveItem } from '../live/live-checklist.js';
import { paint } from '../output.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorWarning {
  name: string;
  detail: string;
  fix?: string;
}

export interface DoctorJson {
  ok: boolean;
  checks: DoctorCheck[];
  /** Things that work but should be fixed (a file others can read); they do not fail the run. */
  warnings: DoctorWarning[];
  /** Going live: what the API tells about a Live app's needs, and where to look for the rest (docs/going-live.md). */
  live: LiveItem[];
  /** No live item is todo or fail ("look" items cannot be checked and do not count). */
  liveReady: boolean;
}

/** Mode bits that let users other than the owner read or write a file. */
const GROUP_OR_OTHER = 0o077;

/** A warning for each of `.env` and the SQLite database (with -wal, -shm) that others can read. */
function fileModeWarnings(cwd: string, config: PageKeeperConfig | undefined): DoctorWarning[] {
  if (process.platform === 'win32') return [];
  const files: string[] = [join(cwd, '.env')];
  const database = config?.database;
  if (database?.startsWith('sqlite:') && database !== 'sqlite::memory:') {
    const file = resolve(cwd, database.slice('sqlite:'.length));
    files.push(file, `${file}-wal`, `${file}-shm`);
  }
  const out: DoctorWarning[] = [];
  for (const file of files) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & GROUP_OR_OTHER) !== 0) {
      out.push({ name: 'file mode', detail: `${file} is readable by other users (mode ${mode.toString(8)})`, fix: `chmod 600 ${file}` });
    }
  }
  return out;
}


function failure(e: unknown): { detail: string; fix?: string } {
  if (isPageKeeperError(e)) return { detail: `${e.code}: ${e.message}`, fix: e.fix };
  if (isGraphError(e)) return { detail: `${e.pkCode}: ${e.message}`, fix: e.fix };
  return { detail: e instanceof Error ? e.message : String(e) };
}

/**
 * Which Login dialog pagekeeper opens and what each symptom in the browser means. Facebook does
 * not tell an app's type through the API, so this explains rather than checks.
 * https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
 */
export function loginDialogAdvice(config: Pick<PageKeeperConfig, 'loginConfigId'>): string {
  if (config.loginConfigId !== undefined) {
    return (
      `Facebook Login for Business: the dialog carries config_id=${config.loginConfigId} instead of scope, which a Business-type app needs. ` +
      'If the dialog says the configuration is invalid, copy the id again from App Dashboard > Facebook Login for Business > Configurations; ' +
      'if your app is a Consumer-type app, unset PAGEKEEPER_LOGIN_CONFIG_ID. ' +
      'A system user token from the configuration is connected like any other; `pagekeeper connect --system-user` takes one made in Business Settings.'
    );
  }
  return (
    'Facebook Login with scope=pages_show_list,pages_messaging,pages_manage_metadata, which a Consumer-type app needs. ' +
    'If the dialog says "It looks like this app isn\'t available", the app is a Business-type app: create a Facebook Login for Business configuration and set PAGEKEEPER_LOGIN_CONFIG_ID to its id. ' +
    '"Invalid Scopes" means the same. A system user token (Business Settings > System users) needs no dialog: `pagekeeper connect --system-user`.'
  );
}

export async function run(ctx: CommandContext): Promise<CommandResult<DoctorJson>> {
  const checks: DoctorCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, fix?: string) => checks.push(fix === undefined ? { name, ok, detail } : { name, ok, detail, fix });

  let config: PageKeeperConfig | undefined;
  let versionWarning: DoctorWarning | undefined;
  try {
    config = loadConfig({ cwd: ctx.cwd, env: ctx.env });
    const missing = [config.appId === undefined && 'PAGEKEEPER_APP_ID', config.appSecret === undefined && 'PAGEKEEPER_APP_SECRET'].filter(Boolean);
    if (missing.length > 0) add('config', false, `${missing.join(' and ')} not set`, 'Copy them from your Facebook app (App settings > Basic) into .env; `pagekeeper init` writes a template.');
    else add('config', true, `app ${config.appId}, Graph ${config.graphUrl} ${config.graphVersion}`);
  } catch (e) {
    const f = failure(e);
    add('config', false, f.detail, f.fix);
  }

  let keysOk = false;
  let pageSubscriptions: { total: number; subscribed: number; notSubscribed: { name: string; id: string; reason: string | null; fix: string | null }[]; unknown: number } | undefined;
  try {
    const keyring = parseKeys(config?.keys);
    keysOk = true;
    add('key', true, `active key "${keyring.activeKeyId}"`);
  } catch (e) {
    const f = failure(e);
    add('key', false, f.detail, f.fix);
  }

  if (config && keysOk) {
    try {
      const store = await createStore({ database: config.database, keys: config.keys, cwd: ctx.cwd });
      try {
        const pages = await store.pages.list();
        add('database', true, `${store.dialect} at ${store.location}, ${pages.length} page${pages.length === 1 ? '' : 's'}`);
        const subs = await store.subscriptions.list(pages.map((x) => x.id));
        pageSubscriptions = { total: pages.length, subscribed: 0, notSubscribed: [], unknown: 0 };
        for (const page of pages) {
          const sub = subs.get(page.id);
          if (sub?.subscribed === true) pageSubscriptions.subscribed++;
          else if (sub?.subscribed === false) pageSubscriptions.notSubscribed.push({ name: page.name, id: page.id, reason: sub.problem, fix: sub.fix });
          else pageSubscriptions.unknown++;
        }
      } finally {
        await store.close();
      }
    } catch (e) {
      const f = failure(e);
      add('database', false, f.detail, f.fix);
    }
  } else {
    add('database', false, 'not checked: fix the configuration and key first');
  }

  if (config?.appId && config.appSecret) {
    const graph = createGraphClient({ graphUrl: config.graphUrl, graphVersion: config.graphVersion, appId: config.appId, appSecret: config.appSecret, maxRetries: 1, timeoutMs: 10_000 });
    try {
      const appToken = graph.appToken();
      const res = await graph.request({ method: 'GET', path: 'debug_token', params: { input_token: appToken }, token: appToken, schema: debugTokenResponseSchema });
      add('graph', true, `${config.graphUrl} answered`);
      const inspection = toTokenInspection(res.data.data);
      if (inspection.isValid && inspection.type === 'APP' && inspection.appId === config.appId) add('app token', true, `valid for app ${inspection.appId}${inspection.application ? ` (${inspection.application})` : ''}`);
      else add('app token', false, `debug_token says the app token is ${inspection.isValid ? `for app ${inspection.appId}` : 'not valid'}`, 'Check PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET against App settings > Basic.');
      const served = res.headers['facebook-api-version'];
      const verdict = judgeGraphVersion(config.graphVersion, (ctx.now ?? Date.now)());
      if (served !== undefined && served !== config.graphVersion) {
        add('version', false, `pinned ${config.graphVersion}, but Facebook served ${served}: the pinned version is no longer available`, `Set PAGEKEEPER_GRAPH_VERSION=${verdict.newest} (or unset it) after reading the changelog: https://developers.facebook.com/docs/graph-api/changelog`);
      } else if (verdict.state === 'ended') {
        add('version', false, describeGraphVersion(verdict), `Set PAGEKEEPER_GRAPH_VERSION=${verdict.newest} (or unset it) after reading the changelog: https://developers.facebook.com/docs/graph-api/changelog`);
      } else {
        add('version', true, describeGraphVersion(verdict));
        if (verdict.state === 'ending') versionWarning = { name: 'version', detail: describeGraphVersion(verdict) };
      }
      if (config.publicUrl === undefined) {
        add('webhooks (app)', true, 'not checked: PAGEKEEPER_PUBLIC_URL is not set (needed only when `pagekeeper serve` receives the webhooks)');
      } else {
        const callbackUrl = messengerCallbackUrl(config.publicUrl);
        try {
          const verdict = judgeAppSubscription(await readAppSubscriptions(graph, config.appId), { callbackUrl, fields: config.webhookFields });
          if (verdict.ok) add('webhooks (app)', true, `Facebook sends Page webhooks to ${callbackUrl}`);
          else add('webhooks (app)', false, verdict.problems.join('; '), verdict.fix ?? undefined);
        } catch (e) {
          const f = failure(e);
          add('webhooks (app)', false, `the app's subscriptions could not be read: ${f.detail}`, f.fix);
        }
      }
    } catch (e) {
      const f = failure(e);
      if (isGraphError(e) && e.httpStatus !== null) {
        add('graph', true, `${config.graphUrl} answered`);
        add('app token', false, f.detail, 'Check PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET against App settings > Basic.');
      } else {
        add('graph', false, f.detail, f.fix ?? 'Check the network and PAGEKEEPER_GRAPH_URL.');
        add('app token', false, 'not checked: Graph is unreachable');
      }
      add('version', false, 'not checked');
      add('webhooks (app)', false, 'not checked');
    } finally {
      await graph.close();
    }
  } else {
    add('graph', false, 'not checked: the app id and secret are needed');
    add('app token', false, 'not checked');
    add('version', false, 'not checked');
    add('webhooks (app)', false, 'not checked');
  }

  if (config) add('login dialog', true, loginDialogAdvice(config));
  if (pageSubscriptions === undefined) add('webhooks (pages)', false, 'not checked: the database could not be read');
  else if (pageSubscriptions.notSubscribed.length > 0) {
    const first = pageSubscriptions.notSubscribed[0]!;
    add(
      'webhooks (pages)',
      false,
      `${pageSubscriptions.notSubscribed.length} of ${pageSubscriptions.total} Pages receive no webhooks, e.g. ${first.name} (${first.id}): ${first.reason ?? 'not subscribed'}`,
      first.fix ?? 'Run `pagekeeper check`; it subscribes Pages whose token can.',
    );
  } else if (pageSubscriptions.unknown > 0) {
    add('webhooks (pages)', false, `${pageSubscriptions.unknown} of ${pageSubscriptions.total} Pages have a subscription not read yet`, 'Run `pagekeeper check`: it reads each Page\'s subscription and subscribes the Page where it can.');
  } else add('webhooks (pages)', true, `${pageSubscriptions.subscribed} of ${pageSubscriptions.total} Pages subscribed`);

  const warnings = [...(versionWarning ? [versionWarning] : []), ...fileModeWarnings(ctx.cwd, config)];
  const live = config ? await liveItems(ctx, config, keysOk) : [];
  const liveReady = live.length > 0 && live.every((i) => i.status === 'ok' || i.status === 'look');
  const ok = checks.every((c) => c.ok);
  const p = paint(ctx.color);
  const width = Math.max(...checks.map((c) => c.name.length));
  const human = [
    ...checks.map((c) => `${c.ok ? p.ok('ok  ') : p.bad('FAIL')}  ${c.name.padEnd(width)}  ${c.detail}${!c.ok && c.fix ? `\n      ${' '.repeat(width)}  fix: ${c.fix}` : ''}`),
    ...warnings.map((w) => `${p.bad('warn')}  ${w.name.padEnd(width)}  ${w.detail}${w.fix ? `\n      ${' '.repeat(width)}  fix: ${w.fix}` : ''}`),
    ...(live.length > 0 ? ['', 'Going live (docs/going-live.md):', ...live.map((i) => liveLine(i, p))] : []),
    '',
    ok ? p.ok('Everything is in order.') : p.bad('Some checks failed; fix them in order, top to bottom.'),
  ].join('\n');
  return { data: { ok, checks, warnings, live, liveReady }, human, exitCode: ok ? 0 : 1 };
}

const LIVE_MARK: Record<LiveItem['status'], string> = { ok: '[x]', todo: '[ ]', fail: '[!]', look: '[?]' };

function liveLine(i: LiveItem, p: ReturnType<typeof paint>): string {
  const mark = i.status === 'ok' ? p.ok(LIVE_MARK.ok) : i.status === 'look' ? LIVE_MARK.look : p.bad(LIVE_MARK[i.status]);
  return `${mark} ${i.name}: ${i.detail}${i.where ? `\n    ${i.status === 'look' ? 'look in' : 'do'}: ${i.where}` : ''}`;
}

/** The going-live checklist, with its own store and Graph client (both closed here). */
async function liveItems(ctx: CommandContext, config: PageKeeperConfig, keysOk: boolean): Promise<LiveItem[]> {
  const graph =
    config.appId && config.appSecret
      ? createGraphClient({ graphUrl: config.graphUrl, graphVersion: config.graphVersion, appId: config.appId, appSecret: config.appSecret, maxRetries: 1, timeoutMs: 10_000 })
      : undefined;
  let store: Awaited<ReturnType<typeof createStore>> | undefined;
  try {
    if (keysOk) store = await createStore({ database: config.database, keys: config.keys, cwd: ctx.cwd }).catch(() => undefined);
    return await liveChecklist({ config, graph, store, now: (ctx.now ?? Date.now)() });
  } finally {
    await store?.close();
    await graph?.close();
  }
}
