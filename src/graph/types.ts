import type { ZodType } from 'zod';
import type { GraphError } from './graph-error.js';
import type { UsageSnapshot } from './usage.js';

export type GraphMethod = 'GET' | 'POST' | 'DELETE';

/** Query parameters; arrays are joined with commas (`fields: ['id','name']` -> `fields=id,name`). */
export type Params = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface GraphRequest<T = unknown> {
  method: GraphMethod;
  /** `me/accounts`, `/me/accounts`, or an absolute URL on the configured origin (a `paging.next`). */
  path: string;
  params?: Params;
  /** JSON body (POST). */
  json?: unknown;
  /** Form body (POST); when given, the token and proof go into the form instead of the query. */
  form?: Record<string, string>;
  /**
   * A body already encoded, with its content type: multipart/form-data uploads such as
   * `/me/message_attachments`. The token and proof stay in the query, as for JSON.
   */
  raw?: { contentType: string; body: Uint8Array };
  token?: string;
  /** Validates the parsed body; without one the parsed JSON is returned unchecked. */
  schema?: ZodType<T>;
  /** Safe to send twice? Defaults to true for GET, false otherwise. */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Total time for one attempt (connect, send, headers and body). */
  timeoutMs?: number;
  /** false turns retries off for this call. */
  retry?: boolean;
}

export interface GraphResponse<T> {
  data: T;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Usage reported by this response alone. */
  usage: UsageSnapshot;
}

export interface CallOptions<T = unknown> {
  token?: string;
  schema?: ZodType<T>;
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  retry?: boolean;
}

/** One call inside a batch (https://developers.facebook.com/docs/graph-api/batch-requests/). */
export interface BatchItem {
  method: GraphMethod;
  /** Relative to the version, e.g. `debug_token?input_token=...` or `me/accounts?limit=100`. */
  relativeUrl: string;
  /** Form-encoded body for POST items. */
  body?: Record<string, string>;
  name?: string;
  /**
   * This item's own token (a Page token in a batch sent under the app token); it travels with
   * its appsecret_proof inside the batch body, never in a URL that is logged. Never log it.
   */
  token?: string;
}

export interface BatchItemResult {
  /** HTTP status of the item; 0 when Facebook returned `null` (not finished in time). */
  code: number;
  headers: Record<string, string>;
  /** The item's body parsed as JSON; undefined when absent or not JSON. */
  body: unknown;
  /** Set when the item failed (code >= 400, null item, unreadable body). */
  error?: GraphError;
}

/** Where log lines go: any pino-compatible logger. */
export interface GraphLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
