import { createHash } from 'node:crypto';
import { judgeInstagram } from '../tokens/instagram-capability.js';
import { pkError } from '../errors.js';
import { tokenReasonFromSubcode } from '../graph/graph-error.js';
import type { PageKeeper } from '../pagekeeper.js';
import type { SubscriptionTarget } from '../subscriptions/page-subscription-calls.js';
import { unsubscribeRemovedPages } from '../subscriptions/unsubscribe-removed-pages.js';
import { toPageView } from '../tokens/page-view.js';
import { createApiKeyStore, type ApiKeyStoreOptions } from './api-keys/create-api-key-store.js';
import type { MetricSample, OutboxPort, ServiceConfig, ServiceDeps } from './deps.js';

/** Settings read from PageKeeperConfig (loadConfig) and the serve flags. */
export interface ServiceSettings {
  publicUrl: string | undefined;
  verifyToken: string | undefined;
  adminKey: string | undefined;
  forwardUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  /** PAGEKEEPER_FORWARD_SECRET: signs forwarded webhook bodies (never the alert secret). */
  forwardSecret?: string | undefined;
  /** PAGEKEEPER_METRICS_KEY: when set, /metrics needs it as a bearer token. */
  metricsKey?: string | undefined;
  /** PAGEKEEPER_KEYS text; a fallback source for cookie keys. */
  keys: string | undefined;
  devOpenDashboard: boolean;
}

export interface CreateServiceDepsOptions {
  /** The outbox, when one runs in this process. */
  outbox?: OutboxPort;
  apiKeys?: ApiKeyStoreOptions;
  /** More Prometheus samples, e.g. Graph calls by outcome (createGraphCallCounter). */
  metrics?: () => MetricSample[];
}

/** Graph's rate-limit headers, passed back by the Graph proxy (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/). */
export const USAGE_HEADERS = ['x-app-usage', 'x-business-use-case-usage', 'x-page-usage', 'x-ad-account-usage', 'x-fb-trace-id'] as const;

/**
 * Adapts a PageKeeper (and its store) to what the service's routes need. The only place that
 * knows both sides; routes see `ServiceDeps` only.
 */
export function createServiceDeps(pk: PageKeeper, settings: ServiceSettings, options: CreateServiceDepsOptions = {}): ServiceDeps {
  const { store, tokens, clock } = pk.context;
  const appSecret = pk.context.appSecret;
  const config: ServiceConfig = {
    appId: pk.context.config.appId,
    appSecret,
    publicUrl: settings.publicUrl,
    verifyToken: settings.verifyToken,
    adminKey: settings.adminKey,
    forwardUrl: settings.forwardUrl,
    forwardSecret: settings.forwardSecret,
    metricsKey: settings.metricsKey,
    // Cookie keys are derived (per purpose) from a server-side secret; the app secret is always set here.
    cookieSecret: createHash('sha256').update(`pagekeeper-cookies:${appSecret}:${settings.keys ?? ''}`).digest('base64url'),
    devOpenDashboard: settings.devOpenDashboard,
    graphVersion: pk.context.config.graphVersion,
  };

  return {
    config,
    apiKeys: createApiKeyStore(store.apiKeys, options.apiKeys),
    pages: {
      list: async () => {
        const pages = await store.pages.list();
        const links = await store.instagram.many(pages.map((p) => p.id));
        const subs = await store.subscriptions.list();
        return pages.map((p) => ({ ...toPageView(p, subs.get(p.id)), instagram: judgeInstagram(links.get(p.id)) }));
      },
      get: async (id) => {
        const p = await store.pages.getWithTokens(id);
        return p ? { ...toPageView(p, (await store.subscriptions.list([id])).get(id)), instagram: judgeInstagram(await store.instagram.get(id)) } : undefined;
      },
      // Straight to the token cache: pk.page(id) would build a handle per request for one call.
      token: (id) => tokens.token(id),
      check: async (id) => {
        // A Page that is not connected is a 404 for every caller (REST and the dashboard form).
        const known = await store.pages.get(id);
        if (!known || known.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId: id });
        await pk.check({ pageIds: [id] });
        const p = await store.pages.getWithTokens(id);
        if (!p) throw pkError('PK_PAGE_NOT_FOUND', { pageId: id });
        return { ...toPageView(p, (await store.subscriptions.list([id])).get(id)), instagram: judgeInstagram(await store.instagram.get(id)) };
      },
    },
    people: { profile: (pageId, psid) => pk.people.profile(pageId, psid), nameIfKnown: (pageId, psid, waitMs) => pk.people.nameIfKnown(pageId, psid, waitMs) },
    messengerProfile: {
      get: (pageId) => pk.page(pageId).messengerProfile.get(),
      set: (pageId, profile) => pk.page(pageId).messengerProfile.set(profile),
      delete: (pageId, fields) => pk.page(pageId).messengerProfile.delete(fields),
    },
    async graphProxy(pageId, req) {
      let calls = 0;
      const answer = await pk.health.call(
        pageId,
        (token) => {
          calls++;
          return pk.context.graph.request({ method: req.method, path: req.path, params: req.params, ...(req.json === undefined ? {} : { json: req.json }), token });
        },
        // Only reads are repeated with another token; a refused POST or DELETE is not (Facebook does not de-duplicate writes).
        { idempotent: req.method === 'GET' },
      );
      const headers: Record<string, string> = {};
      for (const name of USAGE_HEADERS) if (answer.headers[name] !== undefined) headers[name] = answer.headers[name];
      return { status: answer.status, body: answer.data, headers, failedOver: calls > 1 };
    },
    async reportTokenFailure(pageId, failure) {
      if (failure.code !== 190 && failure.code !== 102) {
        throw pkError('PK_VALIDATION', { detail: 'code must be 190 or 102, the codes by which Facebook refuses a token; other errors do not invalidate it' });
      }
      const inUse = await store.pageTokens.getFirstValidToken(pageId);
      if (!inUse) {
        const page = await store.pages.getWithTokens(pageId);
        if (!page || page.removedAt !== null) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
        return { invalidated: false, page: { id: pageId, status: page.status, validTokens: 0 } };
      }
      const outcome = await pk.health.failures.handle({
        pageId,
        userId: inUse.userId,
        reason: tokenReasonFromSubcode(failure.subcode),
        code: failure.code,
        subcode: failure.subcode,
        source: 'reported',
      });
      const after = await store.pages.getWithTokens(pageId);
      return {
        invalidated: outcome.invalidated,
        page: after ? { id: pageId, status: after.status, validTokens: after.tokens.filter((t) => t.status === 'valid').length } : null,
      };
    },
    connect: {
      loginUrl: (state, redirectUri) => pk.loginUrl({ state, redirectUri }),
      async complete(code, redirectUri, connectOptions = {}) {
        const r = await pk.connectWithCode({ code, redirectUri }, connectOptions.onlyPages === undefined ? {} : { onlyPages: connectOptions.onlyPages });
        const problems: string[] = [];
        for (const p of r.pages) if (p.status !== 'healthy') problems.push(`${p.name}: ${p.status.replace('_', ' ')}`);
        for (const p of r.pages) if (!p.subscription.subscribed) problems.push(`${p.name} receives no Messenger webhooks: ${p.subscription.reason ?? 'not subscribed'}. ${p.subscription.fix ?? ''}`.trim());
        if (r.removed.length > 0) problems.push(`${r.removed.length} Page(s) are no longer shared by this account and were removed.`);
        return {
          userId: r.user.id,
          userName: r.user.name,
          pages: r.pages.map((p) => ({ id: p.id, name: p.name, status: p.status, reason: p.status === 'healthy' ? null : p.status })),
          problems,
          added: r.added,
          removed: r.removed,
        };
      },
    },
    ...(options.outbox ? { outbox: options.outbox } : {}),

    // One multi-row upsert per chunk (the webhook route batches per event-loop turn): one
    // statement per event was most of a webhook's cost. The messenger's in-memory window cache
    // is not told: it only remembers open windows and falls back to the table on a miss.
    recordInbound: (contacts) => store.conversations.recordInboundMany(contacts),

    async recordReceipts(receipts) {
      await pk.messenger.recordReceipts(receipts);
    },
    onMessageStatus: (listener) => pk.messenger.onStatus(listener),

    // Facebook: the person removed the app (190/458 from now on). Every token they granted is
    // marked invalid, Pages fail over to other admins' tokens, alerts go out (src/health).
    handleDeauthorize: async (userId) => void (await pk.handleDeauthorize(userId)),

    async deleteUserData(userId, confirmationCode) {
      await store.dataDeletions.request(confirmationCode, userId, clock.now());
      // Tokens still marked valid may unsubscribe the Pages that go with this user (best effort, after the deletion).
      const held: SubscriptionTarget[] = [];
      for (const r of (await store.pageTokens.listForUser(userId)).filter((t) => t.status === 'valid')) {
        const t = await store.pageTokens.getWithToken(r.pageId, userId).catch(() => undefined);
        if (t) held.push({ pageId: r.pageId, token: t.token });
      }
      let deletedPageIds: string[] = [];
      await store.transaction(async (tx) => {
        const r = await tx.users.deleteWithData(userId);
        deletedPageIds = r.deletedPageIds;
        // The audit trail names the user; it goes too. The deletion itself is logged without the id.
        await tx.audit.deleteForUser(userId);
        await tx.audit.append({ event: 'user_data_deleted', detail: { pages: r.deletedPageIds.length, existed: r.existed } });
        await tx.dataDeletions.complete(confirmationCode, clock.now());
      });
      // Cached page tokens of the deleted user must not be handed out again.
      tokens.clear();
      await unsubscribeRemovedPages(
        pk.context,
        held.filter((t) => deletedPageIds.includes(t.pageId)),
      ).catch(() => []);
    },

    dataDeletionStatus: (code) => store.dataDeletions.get(code),

    recentEvents: (limit) => store.audit.list({ limit }),

    // Every status, zeros included, so /metrics always shows delivered and read too.
    outboxCounts: () => store.outbox.counts(),

    console: {
      async messages(filter) {
        const before = filter.before === undefined ? undefined : await store.outboxConsole.get(filter.before);
        return pk.messenger.console.browse({
          ...(filter.status === undefined ? {} : { status: filter.status }),
          ...(filter.pageId === undefined ? {} : { pageId: filter.pageId }),
          ...(filter.pageIds === undefined ? {} : { pageIds: filter.pageIds }),
          ...(filter.since === undefined ? {} : { since: filter.since.getTime() }),
          ...(filter.until === undefined ? {} : { until: filter.until.getTime() }),
          ...(before === undefined ? {} : { beforeSeq: before.seq }),
          ...(filter.limit === undefined ? {} : { limit: filter.limit }),
        });
      },
      message: (id) => pk.messenger.console.detail(id),
      retry: (id) => pk.messenger.console.retry(id),
      cancel: (id) => pk.messenger.console.cancel(id),
      removePage: (pageId) => pk.removePage(pageId),
      async resubscribe(pageId) {
        await pk.resubscribe(pageId);
        const p = await store.pages.getWithTokens(pageId);
        if (!p) throw pkError('PK_PAGE_NOT_FOUND', { pageId });
        return { ...toPageView(p, (await store.subscriptions.list([pageId])).get(pageId)), instagram: judgeInstagram(await store.instagram.get(pageId)) };
      },
      openWindows: (pageId) => store.outboxConsole.openWindowCount(pageId, clock.now().getTime() - 24 * 3600 * 1000),
      async owners(userIds) {
        const out = new Map<string, { name: string; scopes: string[] }>();
        for (const id of new Set(userIds)) {
          const u = await store.users.get(id);
          if (u) out.set(id, { name: u.name, scopes: u.scopes });
        }
        return out;
      },
      events: (filter) => store.audit.list(filter),
      eventKinds: () => store.audit.kinds(),
    },

    callbackReplays: store.callbackReplays,
    adminSessions: store.adminSessions,
    now: () => clock.now().getTime(),
    activity: store.rollups,
    connectResults: store.connectResults,

    ping: () => store.ping(),

    extraMetrics() {
      const usage = pk.context.graph.usage();
      const samples: MetricSample[] = options.metrics ? options.metrics() : [];
      if (usage.app) {
        for (const [kind, value] of [['call_count', usage.app.callCount], ['total_time', usage.app.totalTime], ['total_cputime', usage.app.totalCputime]] as const) {
          samples.push({ name: 'pagekeeper_graph_app_usage_percent', help: 'X-App-Usage from the latest Graph response (throttled at 100)', type: 'gauge', labels: { kind }, value });
        }
      }
      for (const [id, list] of Object.entries(usage.pages)) {
        for (const u of list) {
          samples.push({ name: 'pagekeeper_graph_business_usage_percent', help: 'X-Business-Use-Case-Usage call_count by Page and type', type: 'gauge', labels: { id, type: u.type }, value: u.callCount });
        }
      }
      return samples;
    },
  };
}
