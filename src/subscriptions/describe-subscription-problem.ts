import type { GraphError } from '../graph/graph-error.js';

/** Why a Page is not subscribed to the app's webhooks, and what to do: plain words. */
export interface SubscriptionProblem {
  reason: string;
  fix: string;
}

export const NO_METADATA_PERMISSION: SubscriptionProblem = {
  reason: 'the Page token lacks pages_manage_metadata (or the person cannot moderate the Page), which subscribing the Page to webhooks needs',
  fix: 'Connect again as a person who can moderate the Page and grant pages_manage_metadata (`pagekeeper connect --browser` asks for it); until then no Messenger webhook arrives for this Page.',
};

/**
 * A failed `subscribed_apps` call in words (docs/graph-api.md "Page webhook subscriptions": 200 permissions, 190,
 * 100, 210, 80001, 102). Pure; Facebook's own message is already scrubbed of secrets.
 */
export function describeSubscriptionProblem(error: Pick<GraphError, 'kind' | 'code' | 'detail'>): SubscriptionProblem {
  switch (error.kind) {
    case 'permission':
      return { reason: `Facebook refused to subscribe the Page: ${error.detail}`, fix: NO_METADATA_PERMISSION.fix };
    case 'token_invalid':
      return { reason: `the Page token stopped working: ${error.detail}`, fix: 'Connect again (`pagekeeper connect`) as a person who manages the Page.' };
    case 'rate_limited':
    case 'transient':
      return {
        reason: `Facebook did not complete the subscription: ${error.detail}`,
        fix: 'Nothing to do if it passes: the next health check (`pagekeeper check`) reads the subscription again and subscribes the Page once more.',
      };
    default:
      return {
        reason: `Facebook refused to subscribe the Page: ${error.detail}`,
        fix: 'Check PAGEKEEPER_WEBHOOK_FIELDS and the app\'s webhook setup (`pagekeeper webhooks status`), then run `pagekeeper check`.',
      };
  }
}
