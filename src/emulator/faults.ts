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
