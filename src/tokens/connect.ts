/**
 * The mission in one call: a short-lived user token in, never-expiring Page tokens stored
 * encrypted out. Checks the input first and refuses (storing nothing) when it cannot work;
 * then exchanges it for a long-lived token, discovers every Page, verifies each Page token with
 * debug_token (`expires_at: 0`), and writes user, Pages and tokens in one transaction.
 * Connecting the same person again updates in place, heals Pages that needed re-authentication
 * and reports what changed. A system user's token (debug_token type SYSTEM_USER) takes the same
 * path without the exchange; system-user.ts holds what differs.
 * https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
 *
 * Then every Page whose token can is subscribed to the app's webhooks (PAGEKEEPER_WEBHOOK_FIELDS);
 * a Page that cannot be is connected all the same and reported with the reason and the fix. A
 * Page no connected user grants any more is unsubscribed where its old token still works.
 *
 * Graph calls for a user with N Pages: 1 debug_token + 1 exchange + 1 /me + ceil(N/100)
 * /me/accounts + ceil(N/50) debug_token batches + ceil(N/50) subscription batches (500 Pages: 28);
 * a system user's token skips the exchange (500 Pages: 27), and its 60-day refresh is one
 * exchange plus that (28). Subscription batches go out only for Pages whose token can subscribe.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { PageStatus, TokenKind } from '../core/types.js';
import { pkError } from '../errors.js';
import { meSchema } from '../graph/schemas.js';
import type { StoredPageToken } from '../store/types.js';
import { checkConnectToken } from './check-connect-token.js';
import type { PageKeeperContext } from '../context.js';
import { discoverPages } from './discover-pages.js';
import { exchangeForLongLived } from './exchange-for-long-lived.js';
import { inspectToken } from './inspect-token.js';
import { inspectTokens } from './inspect-tokens.js';
import { messagingGrantedFor } from './messaging-granted-for.js';
import { CONNECT_TOKEN_TYPES, checkExpectedKind, discoverSystemUserPages, systemUserRequiredScopes, tokenKindOf } from './system-user.js';
import { verifyPageToken } from './verify-page-token.js';
import { instagramScopesFor, judgeInstagram, type InstagramView } from './instagram-capability.js';
import { canManageSubscription } from '../subscriptions/can-manage-subscription.js';
import { beginSubscribing, type PageSubscription } from '../subscriptions/subscribe-connected-pages.js';
import { unsubscribeRemovedPages } from '../subscriptions/unsubscribe-removed-pages.js';
import type { SubscriptionTarget } from '../subscriptions/page-subscription-calls.js';

/** One Page as connect reports it. */
export interface ConnectedPage {
  id: string;
  name: string;
  tasks: string[];
  /** null (never) for a person's token; a 60-day system user token's Page tokens end with it. */
  tokenExpiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  status: PageStatus;
  /** The linked Instagram account and whether pagekeeper can message it (docs/instagram.md). */
  instagram: InstagramView;
  /** The app's webhook subscription to the Page after connect; `reason` and `fix` say why not when it is not subscribed. */
  subscription: PageSubscription;
}

/** What connect did: who, until when, which Pages, and what changed since their last connect. */
export interface ConnectResult {
  user: { id: string; name: string };
  /** `kind`: a person's user token or a system user's token (system-user.ts). */
  userToken: { expiresAt: Date | null; kind: TokenKind };
  pages: ConnectedPage[];
  /** Pages this user grants now but did not at their last connect (all of them the first time). */
  added: string[];
  /** Pages this user granted at their last connect but not now; their token from this user is dropped. */
  removed: string[];
  /** Pages whose token from this user had stopped working and works again (set by PageKeeper.connect). */
  restored?: string[];
}

/** What connect has done so far, for narration and progress bars (no secrets). */
export type ConnectProgress =
  | { step: 'input_checked'; userId: string | null; expiresAt: Date | null; scopes: string[] }
  | { step: 'exchanged'; expiresAt: Date | null }
  | { step: 'discovered'; pages: number; businessPages: number }
  | { step: 'verified'; pages: number; neverExpiring: number }
  | { step: 'stored'; pages: number };

/**
 * Decides a Page's health from its stored tokens, without a Graph call: the health layer's
 * pageHealthFromStore (src/health/page-health-from-store.ts). Passed in, so the token flow does
 * not depend on the layer above it.
 */
export type JudgeStoredPage = (
  pageId: string,
  tokens: readonly StoredPageToken[],
  options: { now: Date; expiringWindowMs: number; userTokenExpiresAt?: Record<string, Date | null> },
) => { status: PageStatus; reason: string | null; fix: string | null; warning: string | null };

/** Abort and progress hooks for connect. */
export interface ConnectOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ConnectProgress) => void;
  /** Keep only these Pages of what the person grants (a connect link limited to some Pages). */
  onlyPages?: readonly string[];
  /** Refuse any token but this kind (`connect --system-user` says `system_user`). */
  expect?: TokenKind;
  /** A system user's Pages that /me/accounts may leave out: read from the Page itself. */
  pageIds?: readonly string[];
  /** Like pageIds, but a Page whose token it can no longer get is dropped instead of refused (the refresh). */
  knownPageIds?: readonly string[];
}

/**
 * Connects one person: see the file comment for the steps and the Graph call budget.
 * https://developers.facebook.com/docs/pages-api/overview#get-page-access-tokens
 */
export async function connect(ctx: PageKeeperContext, shortLivedUserToken: string, pageHealthFromStore: JudgeStoredPage, options: ConnectOptions = {}): Promise<ConnectResult> {
  const token = shortLivedUserToken.trim();
  if (token === '') throw pkError('PK_USAGE', { detail: 'No token given: paste a short-lived user token (Graph API Explorer) or use `pagekeeper connect --browser`' });
  const now = ctx.clock.now();
  const signal = options.signal;

  const input = await inspectToken(ctx, token, { signal });
  checkExpectedKind(input, options.expect);
  const kind = tokenKindOf(input);
  const system = kind === 'system_user';
  checkConnectToken(input, {
    appId: ctx.config.appId,
    now,
    what: system ? 'system user token' : 'user token',
    types: CONNECT_TOKEN_TYPES,
    ...(system ? { requiredScopes: systemUserRequiredScopes(options.pageIds ?? []) } : {}),
  });
  const report = options.onProgress ?? (() => {});
  report({ step: 'input_checked', userId: input.userId, expiresAt: input.expiresAt, scopes: input.scopes });

  // A system user's token has no short life: it is stored as given (system-user.ts).
  const longLived = system ? { accessToken: token, expiresAt: input.expiresAt } : await exchangeForLongLived(ctx, token);
  if (!system) report({ step: 'exchanged', expiresAt: longLived.expiresAt });
  const readMe = () => ctx.graph.get('me', { fields: 'id,name' }, { token: longLived.accessToken, schema: meSchema, signal });
  // A person's Pages do not depend on who they are: /me and /me/accounts in one round trip, not
  // two. A system user's Page reads need its id first.
  const [me, found] = system
    ? await readMe().then(async (m) => [m, await discoverSystemUserPages(ctx, longLived.accessToken, { userId: m.id, pageIds: options.pageIds ?? [], knownPageIds: options.knownPageIds ?? [], signal })] as const)
    : await Promise.all([readMe(), discoverPages(ctx, longLived.accessToken, { includeBusinessPages: input.scopes.includes('business_management'), signal })]);
  const only = options.onlyPages === undefined ? undefined : new Set(options.onlyPages);
  const discovered = only === undefined ? found : found.filter((p) => only.has(p.id));

  report({ step: 'discovered', pages: discovered.length, businessPages: discovered.filter((p) => p.source === 'business').length });

  const outcomes = await inspectTokens(ctx, discovered.map((p) => p.accessToken), { signal });
  const verified = discovered.map((page, i) => {
    const outcome = outcomes[i];
    if (!outcome) throw pkError('PK_INTERNAL', { detail: 'debug_token batch answered fewer items than asked' });
    if (!outcome.ok) throw outcome.error;
    return { page, inspection: verifyPageToken(page, outcome.inspection, system ? { grantorExpiresAt: longLived.expiresAt } : {}) };
  });
  report({ step: 'verified', pages: verified.length, neverExpiring: verified.filter((v) => v.inspection.expiresAt === null).length });

  const userId = me.id;
  const userName = me.name ?? input.userId ?? me.id;
  const judge = { now, expiringWindowMs: ctx.config.expiringWindowMs, userTokenExpiresAt: { [userId]: longLived.expiresAt } };
  const granted = new Set(verified.map((v) => v.page.id));
  // The subscription calls run while the Pages are stored (one round trip saved at Facebook's
  // 50-300 ms); their outcomes are recorded only after the store, so a failed subscription never
  // loses a connected Page, and a failed store leaves at most a Page subscribed that the next
  // connect records (subscribing is idempotent).
  const subscribing = beginSubscribing(
    ctx,
    verified.map((v) => ({ pageId: v.page.id, token: v.page.accessToken, canManage: canManageSubscription(v.inspection, v.page.id, v.page.tasks) })),
    { signal },
  );
  const storing = ctx.store.transaction(async (tx) => {
    const before = await tx.pageTokens.listForUser(userId);
    const had = new Set(before.map((t) => t.pageId));
    // The old tokens of Pages this user no longer grants: the one way left to unsubscribe them.
    const oldTokens: SubscriptionTarget[] = [];
    for (const r of before) {
      if (granted.has(r.pageId) || r.status !== 'valid') continue;
      const t = await tx.pageTokens.getWithToken(r.pageId, userId);
      if (t) oldTokens.push({ pageId: r.pageId, token: t.token });
    }
    await tx.users.upsert({
      id: userId,
      name: userName,
      token: longLived.accessToken,
      tokenExpiresAt: longLived.expiresAt,
      dataAccessExpiresAt: input.dataAccessExpiresAt,
      scopes: input.scopes,
      tokenKind: kind,
    });
    const pages: ConnectedPage[] = [];
    for (const [i, { page, inspection }] of verified.entries()) {
      // better-sqlite3 answers synchronously, so this loop would hold the event loop for all 500
      // Pages: let the subscription calls (and a service's other requests) go out meanwhile.
      if (i % YIELD_EVERY_PAGES === YIELD_EVERY_PAGES - 1) await yieldToEventLoop();
      await tx.pages.upsert({ id: page.id, name: page.name, category: page.category });
      const messagingGranted = messagingGrantedFor(inspection, page.id);
      await tx.pageTokens.upsert({
        pageId: page.id,
        userId,
        token: page.accessToken,
        tasks: page.tasks,
        expiresAt: inspection.expiresAt,
        dataAccessExpiresAt: inspection.dataAccessExpiresAt,
        messagingGranted,
        tokenKind: kind,
      });
      await tx.pageTokens.recordCheck(page.id, userId, { checkedAt: now });
      const igLink = {
        pageId: page.id,
        igId: page.instagram?.id ?? null,
        username: page.instagram?.username ?? null,
        link: page.instagram?.link ?? null,
        scopes: instagramScopesFor(inspection, page.instagram?.id ?? null),
        checkedAt: now,
      };
      await tx.instagram.upsert(igLink);
      const stored = await tx.pages.getWithTokens(page.id);
      const health = pageHealthFromStore(page.id, stored?.tokens ?? [], judge);
      const changed = await tx.pages.setStatus(page.id, { status: health.status, reason: health.reason, fix: health.fix, warning: health.warning, lastCheckedAt: now });
      if (changed && changed.previousStatus !== health.status) {
        await tx.audit.append({ event: 'page_status_changed', pageId: page.id, userId, oldState: changed.previousStatus, newState: health.status, reason: health.reason ?? 'connected' });
      }
      pages.push({
        id: page.id,
        name: page.name,
        tasks: page.tasks,
        tokenExpiresAt: inspection.expiresAt,
        dataAccessExpiresAt: inspection.dataAccessExpiresAt,
        status: health.status,
        subscription: UNKNOWN_SUBSCRIPTION,
        instagram: judgeInstagram(igLink),
      });
    }
    const { revokedPageIds, removedPageIds } = await tx.pages.markRemovedForUser(userId, verified.map((v) => v.page.id));
    for (const pageId of revokedPageIds) {
      // The page keeps working on another admin's token where one is left; re-judge it.
      if (removedPageIds.includes(pageId)) continue;
      const stored = await tx.pages.getWithTokens(pageId);
      if (!stored) continue;
      const health = pageHealthFromStore(pageId, stored.tokens, judge);
      const changed = await tx.pages.setStatus(pageId, { status: health.status, reason: health.reason, fix: health.fix, warning: health.warning });
      if (changed && changed.previousStatus !== health.status) {
        await tx.audit.append({ event: 'page_status_changed', pageId, userId, oldState: changed.previousStatus, newState: health.status, reason: health.reason ?? null });
      }
    }
    const added = verified.map((v) => v.page.id).filter((id) => !had.has(id));
    await tx.audit.append({
      event: 'user_connected',
      userId,
      newState: 'valid',
      detail: { pages: verified.length, added: added.length, removed: revokedPageIds.length, businessPages: verified.filter((v) => v.page.source === 'business').length },
    });
    return { pages, added, removed: revokedPageIds, unsubscribe: oldTokens.filter((t) => removedPageIds.includes(t.pageId)) };
  });
  // A failed store answers only once the subscription calls are done: nothing runs after connect.
  const result = await storing.catch(async (e: unknown) => {
    await subscribing.settled();
    throw e;
  });

  report({ step: 'stored', pages: result.pages.length });
  for (const v of verified) ctx.tokens.invalidate(v.page.id);
  for (const id of result.removed) ctx.tokens.invalidate(id);

  const subscriptions = await subscribing.finish();
  for (const p of result.pages) p.subscription = subscriptions.get(p.id) ?? UNKNOWN_SUBSCRIPTION;
  await unsubscribeRemovedPages(ctx, result.unsubscribe, { signal });
  ctx.logger.info({ userId, kind, pages: result.pages.length, added: result.added.length, removed: result.removed.length }, 'user connected');
  return { user: { id: userId, name: userName }, userToken: { expiresAt: longLived.expiresAt, kind }, pages: result.pages, added: result.added, removed: result.removed };
}

/** Pages stored between two turns of the event loop. */
const YIELD_EVERY_PAGES = 50;

const UNKNOWN_SUBSCRIPTION: PageSubscription = { subscribed: false, fields: [], reason: 'not read yet', fix: 'Run `pagekeeper check`.' };
