/**
 * `pagekeeper webhooks status|setup`: the app-level webhook subscription, the half of "no
 * message ever arrives" that connect cannot fix (connect subscribes each Page; the app must also
 * have a `page` subscription pointing at pagekeeper). `status` reads it with the app token and
 * says what is wrong (exit 1 when anything is); `setup` creates or repairs it for
 * PAGEKEEPER_PUBLIC_URL/webhooks/messenger with PAGEKEEPER_VERIFY_TOKEN and the fields in
 * PAGEKEEPER_WEBHOOK_FIELDS (https://developers.facebook.com/docs/graph-api/reference/application/subscriptions/).
 * Needs no database and no key. Never prints the verify token.
 */
import { requireSetting, type PageKeeperConfig } from '../../config/load-config.js';
import { pkError } from '../../errors.js';
import { createGraphClient, type GraphClient } from '../../graph/create-graph-client.js';
import { isGraphError } from '../../graph/graph-error.js';
import { judgeAppSubscription, messengerCallbackUrl, readAppSubscriptions, setupPageSubscription, type AppSubscription } from '../../subscriptions/app-subscription.js';
import type { CommandContext, CommandResult } from '../context.js';
import { cliConfig } from '../open-page-keeper.js';
import { paint } from '../output.js';

export interface WebhooksJson {
  appId: string;
  /** Where pagekeeper expects Facebook to send webhooks; null when PAGEKEEPER_PUBLIC_URL is not set. */
  expected: { callbackUrl: string | null; fields: string[] };
  subscriptions: AppSubscription[];
  ok: boolean;
  problems: string[];
  fix: string | null;
  /** `setup` only: whether it changed anything. */
  changed?: boolean;
}

const ACTIONS = ['status', 'setup'] as const;

function graphFor(config: PageKeeperConfig): { graph: GraphClient; appId: string } {
  const appId = requireSetting(config.appId, 'PAGEKEEPER_APP_ID');
  const appSecret = requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET');
  return { appId, graph: createGraphClient({ graphUrl: config.graphUrl, graphVersion: config.graphVersion, appId, appSecret }) };
}

export async function run(ctx: CommandContext, args: string[]): Promise<CommandResult<WebhooksJson>> {
  const action = args[0] ?? 'status';
  if (!(ACTIONS as readonly string[]).includes(action) || args.length > 1) throw pkError('PK_USAGE', { detail: 'use `pagekeeper webhooks status` or `pagekeeper webhooks setup`' });
  const config = cliConfig(ctx);
  const fields = config.webhookFields;
  const callbackUrl = config.publicUrl === undefined ? null : messengerCallbackUrl(config.publicUrl);
  const { graph, appId } = graphFor(config);
  try {
    let changed: boolean | undefined;
    let subscriptions = await readAppSubscriptions(graph, appId, { signal: ctx.signal });
    if (action === 'setup') {
      const url = callbackUrl ?? requireSetting<string>(undefined, 'PAGEKEEPER_PUBLIC_URL');
      const verifyToken = requireSetting(config.verifyToken, 'PAGEKEEPER_VERIFY_TOKEN');
      changed = !judgeAppSubscription(subscriptions, { callbackUrl: url, fields }).ok;
      if (changed) {
        try {
          await setupPageSubscription(graph, { appId, callbackUrl: url, verifyToken, fields }, { signal: ctx.signal });
        } catch (e) {
          if (isGraphError(e) && e.kind !== 'transient' && e.kind !== 'rate_limited') throw pkError('PK_WEBHOOK_SETUP_FAILED', { callbackUrl: url, detail: e.detail }, { cause: e });
          throw e;
        }
        subscriptions = await readAppSubscriptions(graph, appId, { signal: ctx.signal });
      }
    }
    const verdict = judgeAppSubscription(subscriptions, { callbackUrl, fields });
    const problems = [...verdict.problems];
    if (callbackUrl === null) problems.push('PAGEKEEPER_PUBLIC_URL is not set, so where webhooks should go cannot be checked');
    const data: WebhooksJson = {
      appId,
      expected: { callbackUrl, fields },
      subscriptions,
      ok: verdict.ok && callbackUrl !== null,
      problems,
      fix: verdict.fix ?? (callbackUrl === null ? 'Set PAGEKEEPER_PUBLIC_URL to the https address `pagekeeper serve` is reached at.' : null),
      ...(changed === undefined ? {} : { changed }),
    };
    return { data, human: human(data, action, ctx.color), exitCode: data.ok ? 0 : 1 };
  } finally {
    await graph.close();
  }
}

function human(d: WebhooksJson, action: string, color: boolean): string {
  const p = paint(color);
  const lines: string[] = [];
  if (action === 'setup') lines.push(d.changed ? p.ok('Webhook subscription set up.') : 'The webhook subscription was already in order; nothing changed.', '');
  if (d.subscriptions.length === 0) lines.push(`App ${d.appId} has no webhook subscriptions.`);
  for (const s of d.subscriptions) {
    lines.push(`${p.bold(s.object)}: ${s.active ? p.ok('active') : p.bad('INACTIVE')}  ${s.callbackUrl ?? '(no callback URL)'}`, `  fields: ${s.fields.length > 0 ? s.fields.join(', ') : '(none)'}`);
  }
  lines.push('', `Expected: ${d.expected.callbackUrl ?? '(PAGEKEEPER_PUBLIC_URL not set)'} with ${d.expected.fields.join(', ')}`);
  if (d.ok) lines.push(p.ok('Facebook sends the Pages\' Messenger webhooks to pagekeeper.'));
  else lines.push(...d.problems.map((x) => p.bad(`problem: ${x}`)), ...(d.fix ? [`fix: ${d.fix}`] : []));
  return lines.join('\n');
}
