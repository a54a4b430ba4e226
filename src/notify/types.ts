/**
 * What an alert is and who receives it. An alert is one state change read
 * from the audit log: a Page's status changing, a token lost or restored, a Page gained or lost
 * on reconnect, a deauthorize, Facebook dropping a Page's webhook subscription. Never a secret: tokens are named by (page, user), nothing more.
 */

/** The audit events that become alerts; everything else in the audit log stays silent. */
export const ALERT_EVENTS = ['page_status_changed', 'token_invalidated', 'token_restored', 'page_added', 'page_removed', 'user_deauthorized', 'subscription_dropped', 'graph_version_ending'] as const;
export type AlertEventType = (typeof ALERT_EVENTS)[number];

/** One alert, as notifiers receive it and as the webhook sends it (JSON). */
export interface HealthEvent {
  /** The audit log id: stable, so a receiver can de-duplicate redeliveries. */
  id: number;
  type: AlertEventType;
  /** ISO 8601. */
  at: string;
  pageId: string | null;
  pageName: string | null;
  /** The Facebook user whose token (grant) this is about. */
  userId: string | null;
  oldState: string | null;
  newState: string | null;
  /** Plain words: what happened. */
  reason: string | null;
  /** Plain words: what to do (for a Page that needs attention). */
  fix: string | null;
  /** Something to know although the Page works (some of its tokens are lost). */
  warning: string | null;
  /** One line for people: "Page Acme: healthy -> needs_reauth (password changed)". */
  summary: string;
  /** Secret-free facts (source, Graph code and subcode, counts). */
  detail: Record<string, unknown> | null;
}

/** Receives alerts. A rejection means "not delivered": the delivery loop tries again later. */
export interface Notifier {
  /** Names the notifier in the notifications table; keep it stable across restarts. Default `notifier-<index>`. */
  readonly name?: string;
  notify(event: HealthEvent): Promise<void>;
}
