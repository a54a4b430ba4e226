/**
 * The outbox worker's POSTs on the wire. Over a real network throughput is requests in flight
 * divided by the round trip (Little's law): 10 Pages at 100 sends/s with Facebook answering in
 * 200 ms need about 200 POSTs in flight. So the limit follows the work: the send rate the
 * worker's Pages are allowed right now times the round trip it observes (with headroom for
 * jitter), never below `min` and never above `max` (`messenger.maxInFlight`). A send takes a
 * slot before its Page's sliding-second check, so a send never waits inside the HTTP pool and
 * leaves later than the throttle counted it.
 */

/** Slots always available, whatever the estimate (the Graph client's historical pool size). */
export const MIN_SEND_SLOTS = 16;
/** Default `messenger.maxInFlight`: POSTs in flight at most, over all Pages of one worker. */
export const DEFAULT_MAX_IN_FLIGHT = 1024;
/** The limit is this many times rate x latency: room for jitter and for slots freed late. */
export const SLOT_HEADROOM = 2;
/** The round trip assumed before the first answer (ms): a slow Facebook answer, so the first sends are not held to 16. */
export const UNKNOWN_LATENCY_MS = 1_000;
/** Weight of the newest round trip in the running estimate. */
const LATENCY_WEIGHT = 0.2;
/** How often (ms) the limit is recomputed from the rate and the latency. */
const RECOMPUTE_MS = 20;

export interface SendSlotsOptions {
  /** Sends per second the worker's Pages may make right now (sum over the Pages with work). */
  demandPerSecond: () => number;
  max?: number;
  min?: number;
  /** ms clock (monotonic). */
  now?: () => number;
}

export interface SendSlots {
  /** Resolves once a slot is held. */
  take(): Promise<void>;
  /** Frees a slot; `roundTripMs` is the POST's observed time when it got an answer. */
  free(roundTripMs?: number): void;
  readonly inFlight: number;
  /** Highest `inFlight` so far. */
  readonly peak: number;
  /** The current limit (between min and max). */
  readonly limit: number;
  /** The observed round trip (ms, running estimate; 0 before the first answer). */
  readonly latencyMs: number;
}

export function createSendSlots(options: SendSlotsOptions): SendSlots {
  const max = Math.max(1, options.max ?? DEFAULT_MAX_IN_FLIGHT);
  const min = Math.min(max, options.min ?? MIN_SEND_SLOTS);
  const now = options.now ?? (() => performance.now());
  let inFlight = 0;
  let peak = 0;
  let latencyMs = 0;
  let limit = min;
  let computedAt = -Infinity;
  const waiters: Array<() => void> = [];

  function currentLimit(): number {
    const t = now();
    if (t - computedAt >= RECOMPUTE_MS) {
      computedAt = t;
      const wanted = Math.ceil(options.demandPerSecond() * ((latencyMs === 0 ? UNKNOWN_LATENCY_MS : latencyMs) / 1000) * SLOT_HEADROOM);
      limit = Math.min(max, Math.max(min, wanted));
    }
    return limit;
  }

  function grant(): void {
    inFlight++;
    if (inFlight > peak) peak = inFlight;
  }

  return {
    take() {
      if (waiters.length === 0 && inFlight < currentLimit()) {
        grant();
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    free(roundTripMs) {
      if (roundTripMs !== undefined && roundTripMs >= 0) latencyMs = latencyMs === 0 ? roundTripMs : latencyMs + LATENCY_WEIGHT * (roundTripMs - latencyMs);
      inFlight--;
      const lim = currentLimit();
      while (waiters.length > 0 && inFlight < lim) {
        grant();
        waiters.shift()!();
      }
    },
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get limit() {
      return currentLimit();
    },
    get latencyMs() {
      return latencyMs;
    },
  };
}
