/**
 * Events per tenant. A Messenger webhook body from Facebook names Pages (`entry[].id`); each
 * tenant holding one of those Pages gets the entries of its own Pages, forwarded to its own
 * forward URL and signed with its own secret, and nothing of other tenants' Pages. Event
 * streams (`GET /v1/events`) of a tenant key carry the same cut, and pagekeeper's own events
 * (`connect.completed`) only for the key's tenant. Admin keys (no tenant) see what they saw
 * before tenants: every webhook body, and every tenant's pagekeeper events.
 */
import type { HubEvent, EventHub } from '../webhooks/event-hub.js';
import { createForwarder, type Forwarder } from '../webhooks/create-forwarder.js';
import type { InboundContact } from '../webhooks/webhook-event.js';
import type { Reach } from './reach.js';
import type { TenantRegistry, TenantRuntime } from './tenant-registry.js';

interface EntryLike {
  id?: unknown;
}

/** The body with only the entries of these Pages; undefined when none is left. */
export function entriesFor(body: unknown, pageIds: ReadonlySet<string>, only: ReadonlySet<string> | null = null): unknown {
  const b = body as { entry?: unknown };
  if (b === null || typeof b !== 'object' || !Array.isArray(b.entry)) return undefined;
  const entry = (b.entry as EntryLike[]).filter((e) => {
    const id = String(e?.id ?? '');
    return pageIds.has(id) && (only === null || only.has(id));
  });
  return entry.length === 0 ? undefined : { ...(body as object), entry };
}

/** What one event stream subscriber may see of `e`: the event, a cut of it, or nothing. */
export function eventFor(reach: Reach | undefined, e: HubEvent): HubEvent | undefined {
  if (!reach || reach.tenantId === null) return e;
  if (e.type === 'messenger') {
    const data = entriesFor(e.data, reach.tenant?.pageIdsNow() ?? new Set(), reach.pageIds);
    return data === undefined ? undefined : { ...e, data };
  }
  const tenantId = (e.data as { tenantId?: unknown } | null)?.tenantId;
  return tenantId === reach.tenantId ? e : undefined;
}

export interface TenantEvents {
  /** A verified Messenger webhook body: forwarded to each tenant holding its Pages (its entries only). */
  webhook(body: unknown): void;
  /** A pagekeeper event of one tenant: to the event streams and the tenant's forward URL. */
  emit(tenant: TenantRuntime, type: string, data: Record<string, unknown>): void;
  /** Opens the 24-hour window in every tenant that holds the Page (the default tenant records every contact, as before). */
  recordInbound(contacts: readonly InboundContact[]): Promise<void>;
  drain(timeoutMs: number): Promise<void>;
  readonly stats: { delivered: number; failed: number; dropped: number };
}

export function createTenantEvents(registry: TenantRegistry, hub: EventHub, onError: (detail: string) => void): TenantEvents {
  const forwarders = new Map<string, { key: string; forwarder: Forwarder }>();
  const forwarderOf = (t: TenantRuntime): Forwarder | undefined => {
    const hooks = t.webhooks;
    if (!hooks?.forwardUrl) return undefined;
    const key = `${hooks.forwardUrl}\n${hooks.secret}`;
    const known = forwarders.get(t.id);
    if (known && known.key === key) return known.forwarder;
    const forwarder = createForwarder({ url: hooks.forwardUrl, secret: hooks.secret, onError });
    forwarders.set(t.id, { key, forwarder });
    return forwarder;
  };

  return {
    webhook(body) {
      for (const t of registry.all()) {
        const f = forwarderOf(t);
        if (!f) continue;
        void t.pageIds().then(
          (ids) => {
            const cut = entriesFor(body, ids);
            if (cut !== undefined) f.forward(Buffer.from(JSON.stringify(cut)));
          },
          () => onError(`reading the Pages of tenant ${t.id} failed`),
        );
      }
    },

    emit(tenant, type, data) {
      hub.publish(type, { tenantId: tenant.id, ...data });
      forwarderOf(tenant)?.forward(Buffer.from(JSON.stringify({ object: 'pagekeeper', type, tenantId: tenant.id, ...data })));
    },

    async recordInbound(contacts) {
      const [root, ...others] = registry.all();
      await root!.deps.recordInbound(contacts);
      for (const t of others) {
        const ids = await t.pageIds();
        const mine = contacts.filter((c) => ids.has(c.pageId));
        if (mine.length > 0) await t.deps.recordInbound(mine);
      }
    },

    async drain(timeoutMs) {
      await Promise.all([...forwarders.values()].map((f) => f.forwarder.drain(timeoutMs)));
    },

    get stats() {
      const out = { delivered: 0, failed: 0, dropped: 0 };
      for (const { forwarder } of forwarders.values()) {
        out.delivered += forwarder.stats.delivered;
        out.failed += forwarder.stats.failed;
        out.dropped += forwarder.stats.dropped;
      }
      return out;
    },
  };
}
