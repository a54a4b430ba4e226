import type { StoredSubscription } from '../store/subscription-repository.js';

/** A Page's webhook subscription; `reason` and `fix` say why it is not subscribed. */
export interface SubscriptionSummary {
  subscribed: boolean;
  fields: string[];
  /** When pagekeeper last read or wrote it; null = never (run `pagekeeper check`). */
  checkedAt: Date | null;
  reason: string | null;
  fix: string | null;
}

/** What is known of a Page's subscription, for people: never read yet says so. */
export function subscriptionSummary(sub: StoredSubscription | undefined): SubscriptionSummary {
  if (sub === undefined || sub.subscribed === null) {
    return { subscribed: false, fields: [], checkedAt: null, reason: 'not read yet', fix: 'Run `pagekeeper check` to read it from Facebook (and subscribe the Page).' };
  }
  return { subscribed: sub.subscribed, fields: sub.fields, checkedAt: sub.checkedAt, reason: sub.subscribed ? null : (sub.problem ?? 'Facebook shows the app is not subscribed to this Page'), fix: sub.subscribed ? null : sub.fix };
}
