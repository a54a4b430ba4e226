import type { AuditEntry, StoredPage } from '../store/types.js';
import { ALERT_EVENTS, type AlertEventType, type HealthEvent } from './types.js';

const alertTypes = new Set<string>(ALERT_EVENTS);

export function isAlertEvent(event: string): event is AlertEventType {
  return alertTypes.has(event);
}

function summaryOf(type: AlertEventType, entry: AuditEntry, pageLabel: string, warning: string | null): string {
  const why = entry.reason ? ` (${entry.reason})` : '';
  switch (type) {
    case 'page_status_changed':
      if (entry.oldState === 'needs_reauth' && entry.newState !== 'needs_reauth') return `${pageLabel} restored: ${entry.oldState} -> ${entry.newState}`;
      return `${pageLabel}: ${entry.oldState ?? '?'} -> ${entry.newState ?? '?'}${why}`;
    case 'token_invalidated':
      return `${pageLabel}: the token from user ${entry.userId ?? '?'} stopped working${why}${warning ? `; ${warning}` : ''}`;
    case 'token_restored':
      return `${pageLabel}: the token from user ${entry.userId ?? '?'} works again (reconnected)`;
    case 'page_added':
      return `${pageLabel} gained: user ${entry.userId ?? '?'} connected it`;
    case 'page_removed':
      return `${pageLabel} lost: user ${entry.userId ?? '?'} no longer grants it`;
    case 'user_deauthorized':
      return `User ${entry.userId ?? '?'} removed the app; their tokens stopped working${why}`;
    case 'graph_version_ending':
      return entry.reason ?? `Graph API ${entry.oldState ?? '?'} is ${entry.newState ?? 'ending'}`;
    case 'subscription_dropped':
      return entry.newState === 'subscribed'
        ? `${pageLabel}: Facebook dropped its webhook subscription; pagekeeper subscribed it again`
        : `${pageLabel}: Facebook dropped its webhook subscription and subscribing again failed${why}`;
  }
}

/**
 * An audit entry as an alert. `page` is the Page as stored now: its name, and its fix and
 * warning when the alert is about the status it still has.
 */
export function toHealthEvent(entry: AuditEntry & { event: AlertEventType }, page: StoredPage | undefined): HealthEvent {
  const current = page !== undefined && (entry.event !== 'page_status_changed' || page.status === entry.newState);
  const pageLabel = entry.pageId === null ? 'pagekeeper' : `Page ${page?.name ?? entry.pageId} (${entry.pageId})`;
  const warning = current ? (page?.warning ?? null) : null;
  return {
    id: entry.id,
    type: entry.event,
    at: entry.at.toISOString(),
    pageId: entry.pageId,
    pageName: page?.name ?? null,
    userId: entry.userId,
    oldState: entry.oldState,
    newState: entry.newState,
    reason: entry.reason,
    // A subscription alert carries its own fix; the Page's fix is about its tokens.
    fix:
      entry.event === 'subscription_dropped' || entry.event === 'graph_version_ending'
        ? typeof entry.detail?.fix === 'string'
          ? entry.detail.fix
          : null
        : current
          ? (page?.fix ?? null)
          : null,
    warning,
    summary: summaryOf(entry.event, entry, pageLabel, warning),
    detail: entry.detail,
  };
}
