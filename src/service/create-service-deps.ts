import { createHash } from 'node:crypto';
import { judgeInstagram } from '../instagram/instagram-capability.js';
import { createInstagramRepository } from '../store/instagram-repository.js';
import { sql } from 'kysely';
import { OUTBOX_STATUSES } from '../messenger/outbox-repository.js';
import type { PageWithTokens } from '../store/types.js';
import type { PageKeeper } from '../pagekeeper.js';
import { subscriptionSummary } from '../subscriptions/subscription-summary.js';
import { createSubscriptionRepository, type StoredSubscription } from '../store/subscription-repository.js';
import type { SubscriptionTarget } from '../subscriptions/page-subscription-calls.js';
import { unsubscribeRemovedPages } from '../subscriptions/unsubscribe-removed-pages.js';
import { createApiKeyStore, type ApiKeyStoreOptions } from './api-keys/create-api-key-store.js';
import type { MetricSample, OutboxPort, PageView, ServiceConfig, ServiceDeps } from './deps.js';

/** 3 bound values a row: far under SQLite's and PostgreSQL's limits on parameters. */
const INBOUND_ROWS_PER_STATEMENT = 500;

/** Settings read from PageKeeperConfig (loadConfig) and the serve flags. */
export interface ServiceSettings {
  publicUrl: string | undefined;
  verifyToken: string | undefined;
  adminKey: string | undefined;
  forwardUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  /** PAGEKEEPER_KEYS text; a fallback source for cookie keys. */
  keys: string | undefined;
  devOpenDashboard: boolean;
}

export interface CreateServiceDepsOptions {
  /** The outbox (issue 5), when one runs in this process. */
  outbox?: OutboxPort;
  apiKeys?: ApiKeyStoreOptions;
  /** More Prometheus samples, e.g. Graph calls by outcome (createGraphCallCounter). */
  metrics?: () => MetricSample[];
}

function toView(p: PageWithTokens, sub: StoredSubscription | undefined): PageView {
  return {
    id: p.id,
    name: p.name,
    category: p.category,
    status: p.status,
    reason: p.reason,
    fix: p.fix,
    warning: p.warning,
    lastCheckedAt: p.lastCheckedAt,
    connectedAt: p.connectedAt,
    removedAt: p.removedAt,
    tokens: p.tokens.map((t) => ({
      userId: t.userId,
      status: t.status,
      invalidReason: t.invalidReason,
      expiresAt: t.expiresAt,
      dataAccessExpiresAt: t.dataAccessExpiresAt,
      messagingGranted: t.messagingGranted,
      tasks: t.tasks,
      lastCheckedAt: t.lastCheckedAt,
      kind: t.tokenKind,
    })),
    subscription: subscriptionSummary(sub),
  };
}

/**
 * Adapts a PageKeeper (and its store) to what the service's routes need. The only place that
 * knows both sides; routes see `ServiceDeps` only.
 */
export function createServiceDeps(pk: PageKeeper, settings: ServiceSettings, options: CreateServiceDepsOptions = {}): ServiceDeps {
  const { store, tokens, clock } = pk.context;
  const db = store.db;
  const subscriptions = createSubscriptionRepository(db);
  const appSecret = pk.context.appSecret;
  const config: ServiceConfig = {
    appId: pk.context.config.appId,
    appSecret,
    publicUrl: settings.publicUrl,
    verifyToken: settings.verifyToken,
    adminKey: settings.adminKey,
    forwardUrl: settings.forwardUrl,
    forwardSecret: settings.notifyWebhookSecret,
    // Cookie keys are derived (per purpose) from a server-side secret; the app secret is always set here.
    cookieSecret: createHash('sha256').update(`pagekeeper-cookies:${appSecret}:${settings.keys ?? ''}`).digest('base64url'),
    devOpenDashboard: settings.devOpenDashboard,
  };

  return {
    config,
    apiKeys: createApiKeyStore(db, options.apiKeys),
    pages: {
      list: async () => {
        const pages = await store.pages.list();
        const links = await createInstagramRepository(store.db).many(pages.map((p) => p.id));
        const subs = await subscriptions.list();
        return pages.map((p) => ({ ...toView(p, subs.get(p.id)), instagram: judgeInstagram(links.get(p.id)) }));
      },
      get: async (id) => {
        const p = await store.pages.getWithTokens(id);
        return p ? { ...toView(p, (await subscriptions.list([id])).get(id)), instagram: judgeInstagram(await createInstagramRepository(store.db).get(id)) } : undefined;
      },
      // Straight to the token cache: pk.page(id) would build a handle per request for one call.
      token: (id) => tokens.token(id),
      check: async (id) => {
        await pk.check({ pageIds: [id] });
        const p = await store.pages.getWithTokens(id);
        if (!p) throw new Error('page vanished during the check');
        return { ...toView(p, (await subscriptions.list([id])).get(id)), instagram: judgeInstagram(await createInstagramRepository(store.db).get(id)) };
      },
    },
    connect: {
      loginUrl: (state, redirectUri) => pk.loginUrl({ state, redirectUri }),
      async complete(code, redirectUri) {
        const r = await pk.connectWithCode({ code, redirectUri });
        const problems: string[] = [];
        for (const p of r.pages) if (p.status !== 'healthy') problems.push(`${p.name}: ${p.status.replace('_', ' ')}`);
        for (const p of r.pages) if (!p.subscription.subscribed) problems.push(`${p.name} receives no Messenger webhooks: ${p.subscription.reason ?? 'not subscribed'}. ${p.subscription.fix ?? ''}`.trim());
        if (r.removed.length > 0) problems.push(`${r.removed.length} Page(s) are no longer shared by this account and were removed.`);
        return {
          userId: r.user.id,
          userName: r.user.name,
          pages: r.pages.map((p) => ({ id: p.id, name: p.name, status: p.status, reason: p.status === 'healthy' ? null : p.status })),
          problems,
        };
      },
    },
    ...(options.outbox ? { outbox: options.outbox } : {}),

    async recordInbound(contacts) {
      // One multi-row upsert per chunk (the webhook route batches per event-loop turn): one
      // statement per event was most of a webhook's cost. A window never moves backwards
      // (webhooks can arrive out of order). The messenger's in-memory window cache is not told:
      // it only remembers open windows and falls back to this table on a miss.
      const latest = new Map<string, { page_id: string; psid: string; last_inbound_at: number }>();
      for (const c of contacts) {
        const k = `${c.pageId}\u0000${c.psid}`;
        const ms = c.at.getTime();
        const prev = latest.get(k);
        // One row per key: PostgreSQL refuses to update a row twice in one statement.
        if (!prev || prev.last_inbound_at < ms) latest.set(k, { page_id: c.pageId, psid: c.psid, last_inbound_at: ms });
      }
      const rows = [...latest.values()];
      for (let i = 0; i < rows.length; i += INBOUND_ROWS_PER_STATEMENT) {
        await db
          .insertInto('conversations')
          .values(rows.slice(i, i + INBOUND_ROWS_PER_STATEMENT))
          .onConflict((oc) =>
            oc
              .columns(['page_id', 'psid'])
              .doUpdateSet({ last_inbound_at: sql<number>`excluded.last_inbound_at` })
              .where('conversations.last_inbound_at', '<', sql<number>`excluded.last_inbound_at`),
          )
          .execute();
      }
    },

    async recordReceipts(receipts) {
      await pk.messenger.recordReceipts(receipts);
    },
    onMessageStatus: (listener) => pk.messenger.onStatus(listener),

    // Facebook: the person removed the app (190/458 from now on). Every token they granted is
    // marked invalid, Pages fail over to other admins' tokens, alerts go out (src/health).
    handleDeauthorize: async (userId) => void (await pk.handleDeauthorize(userId)),

    async deleteUserData(userId, confirmationCode) {
      const requestedAt = clock.now().getTime();
      await db.insertInto('data_deletions').values({ confirmation_code: confirmationCode, user_id: userId, requested_at: requestedAt, completed_at: null, status: 'pending' }).execute();
      // Tokens still marked valid may unsubscribe the Pages that go with this user (best effort, after the deletion).
      const held: SubscriptionTarget[] = [];
      for (const r of await db.selectFrom('page_tokens').select('page_id').where('user_id', '=', userId).where('status', '=', 'valid').execute()) {
        const t = await store.pageTokens.getWithToken(r.page_id, userId).catch(() => undefined);
        if (t) held.push({ pageId: r.page_id, token: t.token });
      }
      let deletedPageIds: string[] = [];
      await store.transaction(async (tx) => {
        const r = await tx.users.deleteWithData(userId);
        deletedPageIds = r.deletedPageIds;
        // The audit trail names the user; it goes too. The deletion itself is logged without the id.
        await tx.db.deleteFrom('audit_log').where('user_id', '=', userId).execute();
        await tx.audit.append({ event: 'user_data_deleted', detail: { pages: r.deletedPageIds.length, existed: r.existed } });
        await tx.db.updateTable('data_deletions').set({ status: 'completed', completed_at: clock.now().getTime() }).where('confirmation_code', '=', confirmationCode).execute();
      });
      // Cached page tokens of the deleted user must not be handed out again.
      tokens.clear();
      await unsubscribeRemovedPages(
        pk.context,
        held.filter((t) => deletedPageIds.includes(t.pageId)),
      ).catch(() => []);
    },

    async dataDeletionStatus(code) {
      const row = await db.selectFrom('data_deletions').select(['status', 'requested_at', 'completed_at']).where('confirmation_code', '=', code).executeTakeFirst();
      return row ? { status: row.status, requestedAt: new Date(row.requested_at), completedAt: row.completed_at === null ? null : new Date(row.completed_at) } : undefined;
    },

    recentEvents: (limit) => store.audit.list({ limit }),

    async outboxCounts() {
      const rows = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute();
      // Every status, zeros included, so /metrics always shows delivered and read too.
      return { ...Object.fromEntries(OUTBOX_STATUSES.map((st) => [st, 0])), ...Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) };
    },

    async ping() {
      await sql`select 1`.execute(db);
    },

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
