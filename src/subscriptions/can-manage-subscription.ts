import type { GranularScope } from '../core/types.js';

/**
 * Whether a Page token can subscribe the app to the Page's webhooks: `pages_manage_metadata`
 * covering this Page, from a person who can moderate it (MODERATE, or MANAGE which includes it)
 * (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/#Creating).
 * Tasks Facebook did not report are not held against the token. Pure.
 */
export function canManageSubscription(grant: { scopes: readonly string[]; granularScopes: readonly GranularScope[] }, pageId: string, tasks: readonly string[]): boolean {
  const granular = grant.granularScopes.find((g) => g.scope === 'pages_manage_metadata');
  const scoped = granular ? granular.targetIds === null || granular.targetIds.includes(pageId) : grant.granularScopes.length === 0 && grant.scopes.includes('pages_manage_metadata');
  if (!scoped) return false;
  return tasks.length === 0 || tasks.includes('MODERATE') || tasks.includes('MANAGE');
}
