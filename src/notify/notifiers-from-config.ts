import type { PageKeeperConfig } from '../config/load-config.js';
import { pkError } from '../errors.js';
import type { Logger } from '../core/logger.js';
import { createLogNotifier } from './log-notifier.js';
import type { Notifier } from './types.js';
import { createWebhookNotifier } from './webhook-notifier.js';

/**
 * The notifiers PAGEKEEPER_NOTIFY_WEBHOOK_URL / _SECRET ask for, plus a log line when a logger
 * is given. A webhook URL without a secret is refused: alerts are never sent unsigned.
 */
export function notifiersFromConfig(config: Pick<PageKeeperConfig, 'notifyWebhookUrl' | 'notifyWebhookSecret'>, logger?: Logger): Notifier[] {
  const out: Notifier[] = [];
  if (logger) out.push(createLogNotifier(logger));
  if (config.notifyWebhookUrl) {
    if (!config.notifyWebhookSecret) throw pkError('PK_CONFIG_MISSING', { name: 'PAGEKEEPER_NOTIFY_WEBHOOK_SECRET' });
    out.push(createWebhookNotifier({ url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret }));
  }
  return out;
}
