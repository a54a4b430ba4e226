/**
 * Second half of every Graph call: turn what came back into typed data or one GraphError.
 * Pure; tested on its own with recorded shapes.
 */
import type { ZodType, core } from 'zod';
import { GraphError, badResponseFacts, classifyGraphError } from './graph-error.js';
import { redactBody } from './redact.js';
import type { GraphResponse } from './types.js';
import { parseUsageHeaders, type UsageSnapshot } from './usage.js';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  bodyText: string;
}

export interface ProcessOptions<T> {
  schema?: ZodType<T>;
  /** Exact secrets to keep out of messages and causes (the call's token, the app secret). */
  secrets?: readonly (string | undefined)[];
  /** Clock for the usage snapshot. */
  now?: number;
  /** How usage headers are read (a client passes its memoising parser); default parseUsageHeaders. */
  parseUsage?: (headers: Record<string, string>, at: number) => UsageSnapshot;
}

/** `data[0].access_token` from a zod issue path. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(body)' : out;
}

/** "data[0].access_token: expected string, received undefined" for the first few issues. */
export function formatIssues(issues: readonly core.$ZodIssue[], max = 3): string {
  const parts = issues.slice(0, max).map((i) => `${formatIssuePath(i.path)}: ${i.message.replace(/^Invalid input: /, '')}`);
  if (issues.length > max) parts.push(`and ${issues.length - max} more`);
  return parts.join('; ');
}

export function processResponse<T>(answer: RawAnswer, options: ProcessOptions<T> = {}): GraphResponse<T> {
  const usage = (options.parseUsage ?? parseUsageHeaders)(answer.headers, options.now ?? Date.now());
  if (answer.status < 200 || answer.status >= 300) throw classify(answer, usage, options.secrets);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.bodyText);
  } catch {
    throw classify(answer, usage, options.secrets);
  }
  // Graph never answers 2xx with an error object, but a proxy or an old version might.
  if (typeof parsed === 'object' && parsed !== null && 'error' in parsed && typeof parsed.error === 'object' && parsed.error !== null) {
    throw classify(answer, usage, options.secrets);
  }
  if (options.schema === undefined) return { data: parsed as T, status: answer.status, headers: answer.headers, usage };
  const result = options.schema.safeParse(parsed);
  if (!result.success) {
    throw new GraphError(badResponseFacts(answer.status, formatIssues(result.error.issues)), {
      cause: { body: redactBody(parsed, options.secrets), issues: result.error.issues },
    });
  }
  return { data: result.data, status: answer.status, headers: answer.headers, usage };
}

function classify(answer: RawAnswer, usage: UsageSnapshot, secrets: readonly (string | undefined)[] | undefined): GraphError {
  return new GraphError(classifyGraphError({ httpStatus: answer.status, bodyText: answer.bodyText, headers: answer.headers, usage, secrets }), {
    cause: safeCause(answer.bodyText, secrets),
  });
}

function safeCause(bodyText: string, secrets: readonly (string | undefined)[] | undefined): unknown {
  try {
    return { body: redactBody(JSON.parse(bodyText), secrets) };
  } catch {
    return { body: redactBody(bodyText.slice(0, 2000), secrets) };
  }
}
