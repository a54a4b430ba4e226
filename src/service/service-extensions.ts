/**
 * The hook for work that runs inside `pagekeeper serve` beside the HTTP server: the outbox
 * worker (issue 5) and the health scheduler (issue 4) plug in here, so serve.ts does not change
 * when they land. Each worker is started after the server listens and stopped (in parallel)
 * on SIGTERM before the database closes.
 */
import type { PageKeeper } from '../pagekeeper.js';
import type { OutboxPort } from './deps.js';

export interface ServiceWorker {
  name: string;
  start(): void | Promise<void>;
  /** Stop taking work; finish or release what is in flight; resolve within `deadlineMs`. */
  stop(deadlineMs: number): Promise<void>;
}

export interface ServiceExtensions {
  workers: ServiceWorker[];
  /** The outbox the REST API enqueues into; absent: POST /v1/pages/{id}/messages answers 503. */
  outbox?: OutboxPort;
}

export interface ServiceExtensionContext {
  pk: PageKeeper;
  /** A pino-compatible logger (never give it a secret). */
  logger: PageKeeper['context']['logger'];
}

/** Builds the workers for one serve process. Later modules add theirs here. */
export async function createServiceExtensions(_ctx: ServiceExtensionContext): Promise<ServiceExtensions> {
  return { workers: [] };
}
