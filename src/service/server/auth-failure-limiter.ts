/**
 * Counts failed authentications per client address and refuses further attempts for a while
 * once too many fail: guessing an API key or the admin key is hopeless (256 bits), but a flood
 * of guesses still costs database lookups. Successful requests are never limited, so the
 * throughput of a valid key is untouched.
 */
export interface AuthFailureLimiter {
  /** Seconds to wait when this address is blocked, else 0. */
  blockedFor(address: string, now?: number): number;
  recordFailure(address: string, now?: number): void;
}

export const DEFAULT_MAX_AUTH_FAILURES = 20;
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 60_000;
const MAX_TRACKED_ADDRESSES = 10_000;

export function createAuthFailureLimiter(max = DEFAULT_MAX_AUTH_FAILURES, windowMs = DEFAULT_AUTH_FAILURE_WINDOW_MS): AuthFailureLimiter {
  const failures = new Map<string, { count: number; resetAt: number }>();
  return {
    blockedFor(address, now = Date.now()) {
      const f = failures.get(address);
      if (!f) return 0;
      if (f.resetAt <= now) {
        failures.delete(address);
        return 0;
      }
      return f.count >= max ? Math.ceil((f.resetAt - now) / 1000) : 0;
    },
    recordFailure(address, now = Date.now()) {
      const f = failures.get(address);
      if (!f || f.resetAt <= now) {
        if (failures.size >= MAX_TRACKED_ADDRESSES) failures.delete(failures.keys().next().value as string);
        failures.set(address, { count: 1, resetAt: now + windowMs });
      } else f.count += 1;
    },
  };
}
