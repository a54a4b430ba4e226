/**
 * The going-live part of `pagekeeper doctor`: what Facebook's API can tell about an app moving
 * from development mode to Live (who has a role, whether each stored token carries the
 * permissions pagekeeper needs, whether the public URL is HTTPS and reachable, when the Graph
 * version ends) and, for what the API cannot tell (app mode, Advanced Access, App Review, Business
 * Verification, Human Agent, privacy policy), where in the App Dashboard to look.
 * docs/going-live.md walks through the same steps.
 */
import type { PageKeeperConfig } from '../../config/load-config.js';
import { describeGraphVersion, judgeGraphVersion } from '../../core/graph-versions.js';
import { isPageKeeperError } from '../../errors.js';
import type { GraphClient } from '../../graph/create-graph-client.js';
import { isGraphError } from '../../graph/graph-error.js';
import { debugTokenResponseSchema } from '../../graph/schemas.js';
import { toTokenInspection } from '../../graph/to-token-inspection.js';
import { DEVELOPMENT_MODE_FIX, recipientRefusal } from '../../messenger/recipient-refusal.js';
import type { Store } from '../../store/create-store.js';
import { checkPublicUrl } from './check-public-url.js';
import { readAppRoles } from './read-app-roles.js';

/**
 * ok: nothing to do. todo: must be done before real customers can use the app (does not fail
 * doctor: development setups are expected to have these). fail: broken now. look: the API cannot
 * tell; `where` says where to look.
 */
export type LiveItemStatus = 'ok' | 'todo' | 'fail' | 'look';

export interface LiveItem {
  name: string;
  status: LiveItemStatus;
  detail: string;
  /** What to do, or where in the App Dashboard / Business Settings to look. */
  where?: string;
}

/** Permissions pagekeeper asks for, and why (docs/going-live.md "Permissions"). */
export const NEEDED_PERMISSIONS = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata'] as const;

/** At most this many stored tokens are inspected (one debug_token call each). */
const MAX_INSPECTED = 50;

export interface LiveChecklistInput {
  config: PageKeeperConfig;
  /** Absent when the app id or secret is missing. */
  graph: GraphClient | undefined;
  /** Absent when the database could not be opened. */
  store: Store | undefined;
  now: number;
  fetchImpl?: typeof fetch;
}

function message(e: unknown): string {
  if (isPageKeeperError(e)) return `${e.code}: ${e.message}`;
  if (isGraphError(e)) return `${e.pkCode}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export async function liveChecklist(input: LiveChecklistInput): Promise<LiveItem[]> {
  const { config, graph, store } = input;
  const items: LiveItem[] = [];

  items.push(await appModeItem(store));

  if (graph && config.appId) {
    try {
      const roles = await readAppRoles(graph, config.appId);
      const parts = Object.entries(roles.counts).map(([role, n]) => `${n} ${role}`);
      items.push({
        name: 'app roles',
        status: 'ok',
        detail: `${roles.total} ${roles.total === 1 ? 'person has' : 'people have'} a role on the app${parts.length ? ` (${parts.join(', ')})` : ''}: while the app is in development mode (or pages_messaging lacks Advanced Access) they are the only people its Pages can message; everyone else is refused with code 10 "Cannot message users who are not admins, developers or testers of the app".`,
        where: 'App Dashboard > App roles > Roles (add testers there; an app in a business portfolio manages roles in Business Settings)',
      });
    } catch (e) {
      items.push({ name: 'app roles', status: 'fail', detail: `the app's roles could not be read with the app token: ${message(e)}`, where: 'Check PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET (App settings > Basic).' });
    }
  } else {
    items.push({ name: 'app roles', status: 'todo', detail: 'not checked: PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET are needed' });
  }

  items.push(await permissionsItem(graph, store));

  const url = await checkPublicUrl(config.publicUrl, input.fetchImpl);
  const https = 'A Live app needs public HTTPS with a certificate from a public CA for the Login redirect (PUBLIC_URL/oauth/callback) and the webhook (PUBLIC_URL/webhooks/messenger); Facebook refuses self-signed certificates.';
  switch (url.state) {
    case 'unset':
      items.push({ name: 'public URL', status: 'todo', detail: `PAGEKEEPER_PUBLIC_URL is not set. ${https}`, where: 'Set PAGEKEEPER_PUBLIC_URL=https://your-host (docs/going-live.md "HTTPS").' });
      break;
    case 'not-https':
      items.push({ name: 'public URL', status: 'todo', detail: `PAGEKEEPER_PUBLIC_URL is ${url.url}, not https. Fine against the emulator or for a development-mode app on localhost; ${https}`, where: 'Put `pagekeeper serve` behind a TLS proxy and set PAGEKEEPER_PUBLIC_URL=https://... (docs/going-live.md "HTTPS").' });
      break;
    case 'certificate':
      items.push({ name: 'public URL', status: 'fail', detail: `${url.url} answers with a certificate this machine does not trust (${url.problem}); Facebook will refuse it too.`, where: 'Use a certificate from a public CA (e.g. Let\'s Encrypt) with the full chain.' });
      break;
    case 'unreachable':
      items.push({ name: 'public URL', status: 'fail', detail: `${url.url} is https but did not answer from this machine (${url.problem}); Facebook cannot deliver webhooks or Login redirects there.`, where: 'Start `pagekeeper serve` and check DNS, firewall and the TLS proxy.' });
      break;
    default:
      items.push({ name: 'public URL', status: 'ok', detail: `${url.url} is https and answered ${url.status} from this machine (whether Facebook's servers reach it shows in \`pagekeeper webhooks setup\`).` });
  }

  const v = judgeGraphVersion(config.graphVersion, input.now);
  items.push({ name: 'graph version', status: v.state === 'ended' ? 'fail' : v.state === 'current' ? 'ok' : 'todo', detail: describeGraphVersion(v) });

  const review = 'App Dashboard > App Review > Permissions and Features';
  items.push(
    {
      name: 'advanced access',
      status: 'look',
      detail: 'The API does not tell the access level. People without a role on the app need Advanced Access to pages_show_list, pages_messaging and pages_manage_metadata (each granted through App Review).',
      where: `${review} (the "Access level" column)`,
    },
    {
      name: 'app review',
      status: 'look',
      detail: 'The API does not tell review status. Submit each permission with a screencast of the real app using it; Meta asks for at least one successful call per permission in the last 30 days before you can request it.',
      where: 'App Dashboard > App Review > Requests (status) and > Permissions and Features (Request advanced access)',
    },
    {
      name: 'business verification',
      status: 'look',
      detail: 'Advanced Access needs a verified business; the API does not tell.',
      where: 'App Dashboard > App settings > Basic > Verification, or Business Settings > Security Center',
    },
    {
      name: 'human agent',
      status: 'look',
      detail: 'Replies up to 7 days after the person\'s last message (tag HUMAN_AGENT) need the Human Agent feature, reviewed on its own.',
      where: `${review} > Human Agent`,
    },
    {
      name: 'privacy policy and data deletion',
      status: 'look',
      detail: `Going Live needs a privacy policy URL and a data deletion callback or instructions URL${config.publicUrl ? ` (pagekeeper serves ${config.publicUrl}/facebook/data-deletion)` : ''}.`,
      where: 'App Dashboard > App settings > Basic (Privacy Policy URL, User data deletion)',
    },
  );
  return items;
}

const APP_MODE_WHERE =
  'App Dashboard: the "App Mode" switch in the top bar (apps created with use cases: the "Publish" page in the left menu). In development mode only people with a role on the app can log in and be messaged.';

/** How many failed sends the app-mode item reads. */
const REFUSALS_READ = 500;

/**
 * The API does not tell the app's mode, but Facebook's answer to a send does: sends refused
 * because the person has no role on the app (code 10, or 200/2018028) mean the app is in
 * development mode or pages_messaging lacks Advanced Access.
 */
async function appModeItem(store: Store | undefined): Promise<LiveItem> {
  const look: LiveItem = { name: 'app mode', status: 'look', detail: 'The Graph API does not tell whether the app is in development mode or Live.', where: APP_MODE_WHERE };
  if (!store) return look;
  let failed;
  try {
    failed = await store.outbox.list({ status: 'failed', limit: REFUSALS_READ });
  } catch {
    return look;
  }
  // The row keeps Facebook's code and pagekeeper's explanation, which names the same fix.
  const refused = failed.filter((m) => {
    const e = m.error;
    if (e === null || (e.code !== 10 && e.code !== 200)) return false;
    return recipientRefusal(e.code, e.subcode, e.message ?? '')?.fix === DEVELOPMENT_MODE_FIX || (e.message ?? '').includes(DEVELOPMENT_MODE_FIX);
  });
  if (refused.length === 0) return { ...look, detail: `${look.detail} No stored send was refused for want of a role on the app.` };
  const latest = refused.reduce((a, b) => (a.updatedAt > b.updatedAt ? a : b));
  return {
    name: 'app mode',
    status: 'todo',
    detail: `${refused.length} send${refused.length === 1 ? ' was' : 's were'} refused because the person has no role on the app (latest ${latest.updatedAt.toISOString()}): the app is in development mode or pages_messaging lacks Advanced Access.`,
    where: `Add those people as testers (App Dashboard > App roles > Roles), or get Advanced Access and switch the app to Live. ${APP_MODE_WHERE}`,
  };
}

async function permissionsItem(graph: GraphClient | undefined, store: Store | undefined): Promise<LiveItem> {
  const name = 'permissions';
  if (!graph || !store) return { name, status: 'todo', detail: 'not checked: the app id, secret and database are needed' };
  let tokens;
  try {
    tokens = await store.pageTokens.listAllWithTokens({ status: 'valid' });
  } catch (e) {
    return { name, status: 'fail', detail: `stored tokens could not be read: ${message(e)}` };
  }
  if (tokens.length === 0) return { name, status: 'todo', detail: 'no Page connected yet: run `pagekeeper connect`' };
  const appToken = graph.appToken();
  const lacking: string[] = [];
  let inspected = 0;
  for (const t of tokens.slice(0, MAX_INSPECTED)) {
    try {
      const res = await graph.request({ method: 'GET', path: 'debug_token', params: { input_token: t.token }, token: appToken, schema: debugTokenResponseSchema });
      const inspection = toTokenInspection(res.data.data);
      inspected++;
      const missing = NEEDED_PERMISSIONS.filter((p) => !inspection.scopes.includes(p));
      if (!inspection.isValid) lacking.push(`Page ${t.pageId} (user ${t.userId}): the token is no longer valid`);
      else if (missing.length > 0) lacking.push(`Page ${t.pageId} (user ${t.userId}) lacks ${missing.join(', ')}`);
    } catch (e) {
      lacking.push(`Page ${t.pageId} (user ${t.userId}): not inspected (${message(e)})`);
    }
  }
  const more = tokens.length > MAX_INSPECTED ? ` (the first ${MAX_INSPECTED} of ${tokens.length})` : '';
  if (lacking.length === 0) return { name, status: 'ok', detail: `${inspected} stored token${inspected === 1 ? '' : 's'}${more} carry ${NEEDED_PERMISSIONS.join(', ')}` };
  return {
    name,
    status: 'fail',
    detail: `${lacking.length} of ${inspected} stored tokens${more} fall short: ${lacking.slice(0, 5).join('; ')}${lacking.length > 5 ? '; ...' : ''}`,
    where: 'The person reconnects and grants every permission (`pagekeeper connect --browser`; the dialog re-asks declined ones).',
  };
}
