/**
 * How `pagekeeper serve` writes its log: readable lines for a person at a terminal, JSON lines
 * (pino's own) for machines. Both are made from the same pino records after redaction, so a
 * secret masked in one is masked in the other: the readable formatter only re-prints the JSON
 * line pino already redacted.
 */
import pc from 'picocolors';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * JSON when asked for (`--json`, or PAGEKEEPER_LOG_FORMAT=json) or when the log is not a
 * terminal (piped, redirected, under a process manager); readable lines on a terminal, or when
 * PAGEKEEPER_LOG_FORMAT=pretty. An unknown PAGEKEEPER_LOG_FORMAT is `invalid`.
 */
export function chooseLogFormat(input: { json: boolean; envFormat: string | undefined; isTTY: boolean }): LogFormat | 'invalid' {
  const env = input.envFormat?.trim().toLowerCase();
  if (env !== undefined && env !== '') {
    if (env === 'json') return 'json';
    if (env === 'pretty') return input.json ? 'json' : 'pretty';
    return 'invalid';
  }
  if (input.json) return 'json';
  return input.isTTY ? 'pretty' : 'json';
}

const LEVELS: Record<number, { label: string; paint: (s: string) => string }> = {
  10: { label: 'TRACE', paint: pc.gray },
  20: { label: 'DEBUG', paint: pc.gray },
  30: { label: 'INFO ', paint: pc.green },
  40: { label: 'WARN ', paint: pc.yellow },
  50: { label: 'ERROR', paint: pc.red },
  60: { label: 'FATAL', paint: (s) => pc.bold(pc.red(s)) },
};

/** Requests whose "incoming" line was seen and whose "completed" line was not, remembered at most. */
const MAX_OPEN_REQUESTS = 10_000;

/** Fields shown in their own place on the line, or not at all (pino's bookkeeping). */
const PLACED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'req', 'res', 'reqId', 'responseTime', 'err', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/**
 * One pino JSON line as a readable line:
 * `12:03:04.567 INFO  request completed GET /v1/pages -> 200 (3.1 ms) reqId=req-1`.
 * A line that is not a JSON object is passed through unchanged.
 */
export function formatLogLine(line: string, options: { colors?: boolean; requests?: Map<string, string> } = {}): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line.endsWith('\n') ? line : `${line}\n`;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const paintOn = options.colors === true;
  const lvl = LEVELS[typeof rec.level === 'number' ? rec.level : 30] ?? { label: String(rec.level).padEnd(5), paint: (s: string) => s };
  const when = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const parts: string[] = [paintOn ? pc.dim(when) : when, paintOn ? lvl.paint(lvl.label) : lvl.label];
  if (typeof rec.msg === 'string' && rec.msg !== '') parts.push(rec.msg);
  const req = rec.req as { method?: unknown; url?: unknown } | undefined;
  const reqId = typeof rec.reqId === 'string' || typeof rec.reqId === 'number' ? String(rec.reqId) : undefined;
  const requests = options.requests;
  if (req && typeof req === 'object') {
    const what = `${String(req.method ?? '')} ${String(req.url ?? '')}`.trim();
    parts.push(what);
    // Fastify's "request completed" carries only the status: remember what the request was.
    if (requests !== undefined && reqId !== undefined) {
      if (requests.size >= MAX_OPEN_REQUESTS) requests.delete(requests.keys().next().value!);
      requests.set(reqId, what);
    }
  } else if (requests !== undefined && reqId !== undefined && rec.res !== undefined) {
    const what = requests.get(reqId);
    requests.delete(reqId);
    if (what !== undefined) parts.push(what);
  }
  const res = rec.res as { statusCode?: unknown } | undefined;
  if (res && typeof res === 'object' && res.statusCode !== undefined) parts.push(`-> ${String(res.statusCode)}`);
  if (typeof rec.responseTime === 'number') parts.push(`(${rec.responseTime.toFixed(1)} ms)`);
  const extras = Object.entries(rec)
    .filter(([k]) => !PLACED.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  // Fastify's request ids are UUIDs: the first 8 characters tell a terminal's lines apart (JSON keeps all).
  if (reqId !== undefined) extras.push(`req=${reqId.length > 12 ? reqId.slice(0, 8) : reqId}`);
  let out = [...parts, ...extras.map((e) => (paintOn ? pc.dim(e) : e))].join(' ');
  const err = rec.err;
  if (typeof err === 'string') out += ` err=${value(err)}`;
  else if (err && typeof err === 'object') {
    const e = err as { message?: unknown; stack?: unknown };
    out += ` err=${value(String(e.message ?? ''))}`;
    if (typeof e.stack === 'string') out += `\n${e.stack.split('\n').map((l) => `    ${l}`).join('\n')}`;
  }
  return `${out}\n`;
}

/** A pino destination that writes each record as a readable line to `target`. */
export function prettyLogStream(
  target: { write(s: string): unknown; flush?(cb?: (err?: Error) => void): void; flushSync?(): void },
  options: { colors?: boolean } = {},
): { write(s: string): void; flush(cb?: (err?: Error) => void): void; flushSync(): void } {
  const requests = new Map<string, string>();
  return {
    write(s) {
      // pino writes one record per call, ending in a newline.
      for (const line of s.split('\n')) if (line !== '') target.write(formatLogLine(line, { ...options, requests }));
    },
    flush(cb) {
      if (target.flush) target.flush(cb);
      else cb?.();
    },
    flushSync() {
      target.flushSync?.();
    },
  };
}
