import type { Logger } from '../core/logger.js';
import type { HealthEvent, Notifier } from './types.js';

/** One log line per alert: warn when something got worse, info otherwise. */
export function createLogNotifier(logger: Logger, name = 'log'): Notifier {
  return {
    name,
    async notify(event: HealthEvent) {
      const worse = event.type === 'token_invalidated' || event.type === 'user_deauthorized' || event.type === 'page_removed' || (event.type === 'subscription_dropped' && event.newState !== 'subscribed') || event.type === 'graph_version_ending' || (event.type === 'page_status_changed' && event.newState !== 'healthy');
      const fields = { alert: event.type, eventId: event.id, pageId: event.pageId, userId: event.userId, oldState: event.oldState, newState: event.newState, reason: event.reason, fix: event.fix };
      if (worse) logger.warn(fields, event.summary);
      else logger.info(fields, event.summary);
    },
  };
}
