/**
 * Injected failures for testing clients: each fault matches a path substring and fires for
 * `count` requests (unlimited when absent) with probability `rate` (1 when absent).
 */
export const FAULT_KINDS = ['http500', 'http503', 'reset', 'timeout', 'html502', 'malformed_json', 'transient'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  id: number;
  match: string;
  kind: FaultKind;
  remaining: number | null;
  rate: number;
  /** For `timeout`: answer after this many ms; absent = never (until the emulator closes). */
  delayMs?: number;
}

export function createFaults(random: () => number = Math.random) {
  let list: Fault[] = [];
  let nextId = 1;
  return {
    add(f: { match: string; kind: FaultKind; count?: number; rate?: number; delayMs?: number }): Fault {
      const fault: Fault = { id: nextId++, match: f.match, kind: f.kind, remaining: f.count ?? null, rate: f.rate ?? 1 };
      if (f.delayMs !== undefined) fault.delayMs = f.delayMs;
      list.push(fault);
      return fault;
    },
    clear() {
      list = [];
    },
    list: () => list.map((f) => ({ ...f })),
    /** The fault this request hits, if any (and uses one of its count). */
    pick(path: string): Fault | undefined {
      if (list.length === 0) return undefined;
      for (const f of list) {
        if (!path.includes(f.match)) continue;
        if (f.rate < 1 && random() >= f.rate) continue;
        if (f.remaining !== null) {
          f.remaining--;
          if (f.remaining <= 0) list = list.filter((x) => x !== f);
        }
        return f;
      }
      return undefined;
    },
  };
}

export type Faults = ReturnType<typeof createFaults>;

/** What a fault answers when it answers at all (`reset` and `timeout` do not). */
export interface FaultAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Set for JSON error answers: they carry the same headers as any Graph error. */
  error?: { code: number; message: string; isTransient?: boolean };
}

const HTML_502 =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The server returned an invalid or incomplete response.</p></body></html>';

/**
 * The answer of each answering fault kind. Texts: code 1 "An unknown error has occurred." and code 2 "An unexpected
 * error has occurred. Please retry your request later." as recorded from the real API; "Service temporarily
 * unavailable" is code 2 in https://developers.facebook.com/docs/messenger-platform/error-codes.
 */
export function faultAnswer(kind: FaultKind): FaultAnswer | undefined {
  switch (kind) {
    case 'http500':
      return { status: 500, contentType: 'application/json; charset=UTF-8', body: '', error: { code: 1, message: 'An unknown error has occurred.' } };
    case 'http503':
      return { status: 503, contentType: 'application/json; charset=UTF-8', body: '', error: { code: 2, message: 'Service temporarily unavailable', isTransient: true } };
    case 'transient':
      return {
        status: 500,
        contentType: 'application/json; charset=UTF-8',
        body: '',
        error: { code: 2, message: 'An unexpected error has occurred. Please retry your request later.', isTransient: true },
      };
    case 'html502':
      return { status: 502, contentType: 'text/html; charset=utf-8', body: HTML_502 };
    case 'malformed_json':
      return { status: 200, contentType: 'application/json; charset=UTF-8', body: '{"data":[{"id":"1234567890","name":"Trunc' };
    case 'reset':
    case 'timeout':
      return undefined;
  }
}
