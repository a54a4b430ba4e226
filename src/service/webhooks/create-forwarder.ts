import { request } from 'undici';
import { SIGNATURE_HEADER, signBody } from '../../notify/sign-body.js';

/**
 * Forwards verified webhook bodies to the application (PAGEKEEPER_FORWARD_URL), byte for byte,
 * signed with `X-Pagekeeper-Signature: t=<unix s>,v1=<hex HMAC-SHA256(PAGEKEEPER_FORWARD_SECRET, "<t>." + body)>`
 * (a secret of its own: a receiver of health alerts cannot forge Messenger events).
 * Runs after the 200 went back to Facebook (which must get it within 5 s), a few at a time,
 * with a bounded queue: when the application is down, the oldest forwards are dropped and
 * counted instead of growing memory. Delivery is best effort; the durable record of inbound
 * messages is the conversations table.
 */
export interface Forwarder {
  /** `event` (e.g. `message.status`) goes in `X-Pagekeeper-Event`; absent for Facebook's webhook bodies. */
  forward(rawBody: Buffer, event?: string): void;
  /** Waits for queued forwards (up to `timeoutMs`), for a graceful shutdown. */
  drain(timeoutMs: number): Promise<void>;
  readonly stats: { delivered: number; failed: number; dropped: number };
}

export interface ForwarderOptions {
  url: string;
  secret: string;
  concurrency?: number;
  maxQueue?: number;
  timeoutMs?: number;
  attempts?: number;
  onError?: (detail: string) => void;
}

export const DEFAULT_FORWARD_TIMEOUT_MS = 5_000;
export const DEFAULT_FORWARD_ATTEMPTS = 3;

export function createForwarder(options: ForwarderOptions): Forwarder {
  const concurrency = options.concurrency ?? 4;
  const maxQueue = options.maxQueue ?? 1_000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_FORWARD_ATTEMPTS;
  const queue: Array<{ body: Buffer; event: string | undefined }> = [];
  const stats = { delivered: 0, failed: 0, dropped: 0 };
  let running = 0;
  let idle: (() => void)[] = [];

  async function send(body: Buffer, event: string | undefined): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        // Signed per attempt: the timestamp says when this delivery was made.
        const signature = signBody(body, options.secret);
        const res = await request(options.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'user-agent': 'pagekeeper', ...(event === undefined ? {} : { 'x-pagekeeper-event': event }) },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        await res.body.dump();
        if (res.statusCode < 300) {
          stats.delivered++;
          return;
        }
        if (res.statusCode < 500 && res.statusCode !== 429) break;
      } catch {
        // network failure: retried below
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt).unref());
    }
    stats.failed++;
    // The URL may carry credentials in its query: only its origin is reported.
    options.onError?.(`forward to ${new URL(options.url).origin} failed`);
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const { body, event } = queue.shift()!;
      running++;
      void send(body, event).finally(() => {
        running--;
        pump();
      });
    }
    if (running === 0 && queue.length === 0) {
      for (const r of idle) r();
      idle = [];
    }
  }

  return {
    forward(rawBody, event) {
      if (queue.length >= maxQueue) {
        queue.shift();
        stats.dropped++;
      }
      queue.push({ body: rawBody, event });
      pump();
    },
    drain(ms) {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        t.unref();
        idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    stats,
  };
}
