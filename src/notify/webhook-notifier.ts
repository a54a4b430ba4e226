/**
 * The outgoing webhook: each alert POSTed as JSON with
 * `X-Pagekeeper-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>` (see sign-body.ts),
 * signed with PAGEKEEPER_NOTIFY_WEBHOOK_SECRET, never the forwarding secret. A non-2xx answer, a timeout
 * or a refused connection rejects, and the delivery loop retries with backoff.
 */
import { request } from 'undici';
import { pkError } from '../errors.js';
import { SIGNATURE_HEADER, signBody } from './sign-body.js';
import type { HealthEvent, Notifier } from './types.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookNotifierOptions {
  url: string;
  /** HMAC key. Required: alerts are never sent unsigned. */
  secret: string;
  timeoutMs?: number;
  name?: string;
}

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  if (options.secret.trim() === '') throw pkError('PK_CONFIG_MISSING', { name: 'PAGEKEEPER_NOTIFY_WEBHOOK_SECRET' });
  const url = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  // The URL may carry credentials in its query; errors name the origin only.
  const where = url.origin;
  return {
    name: options.name ?? 'webhook',
    async notify(event: HealthEvent) {
      const body = JSON.stringify(event);
      let res;
      try {
        res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'pagekeeper', [SIGNATURE_HEADER]: signBody(body, options.secret) },
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const code = (e as { code?: string }).code ?? (e instanceof Error ? e.name : 'error');
        throw new Error(`webhook ${where} unreachable (${code})`, { cause: e });
      }
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`webhook ${where} answered HTTP ${res.statusCode}`);
    },
  };
}
