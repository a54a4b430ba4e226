/**
 * Round-trip latency for Graph answers: the emulator on loopback answers in ~0.1 ms, Facebook in
 * tens to hundreds of milliseconds. Every Graph answer (not the control API) is held back by
 * `ms` plus a uniform jitter in [-jitterMs, +jitterMs] (never below 0), optionally only for
 * paths containing `match`. The request is handled on arrival (limits count it then, as Facebook
 * counts a send when it arrives); only the answer waits, on a timer: O(1) memory per request in
 * flight and no CPU while waiting.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

export interface LatencySetting {
  ms: number;
  jitterMs: number;
  /** Only Graph paths containing this substring are delayed; null = every Graph answer. */
  match: string | null;
}

export interface Latency {
  /** Replaces the setting; `ms: 0` turns it off. */
  set(s: { ms: number; jitterMs?: number | undefined; match?: string | undefined }): LatencySetting;
  get(): LatencySetting;
  /** How long to hold the answer to `url` (ms, 0 = answer now). */
  delayFor(url: string): number;
}

export const LATENCY_OFF: LatencySetting = { ms: 0, jitterMs: 0, match: null };

export function createLatency(random: () => number = Math.random): Latency {
  let setting: LatencySetting = LATENCY_OFF;
  return {
    set(s) {
      setting = s.ms <= 0 && (s.jitterMs ?? 0) <= 0 ? LATENCY_OFF : { ms: s.ms, jitterMs: s.jitterMs ?? 0, match: s.match ?? null };
      return { ...setting };
    },
    get: () => ({ ...setting }),
    delayFor(url) {
      const { ms, jitterMs, match } = setting;
      if (ms === 0 && jitterMs === 0) return 0;
      if (url.startsWith('/_emulator')) return 0;
      if (match !== null && !url.includes(match)) return 0;
      const d = jitterMs === 0 ? ms : ms + (random() * 2 - 1) * jitterMs;
      return d > 0 ? Math.round(d) : 0;
    },
  };
}

/** Parses the CLI's `MS[:JITTER_MS]`; throws a message naming the expected shape. */
export function parseLatency(text: string): { ms: number; jitterMs: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`--latency must be MS or MS:JITTER_MS in whole milliseconds (for example 200 or 200:20), got "${text}"`);
  return { ms: Number(m[1]), jitterMs: m[2] === undefined ? 0 : Number(m[2]) };
}

const latencyInput = z
  .object({
    ms: z.number().int().nonnegative().max(600_000),
    jitterMs: z.number().int().nonnegative().max(600_000).optional(),
    match: z.string().min(1).optional(),
  })
  .strict();

/**
 * `PUT /_emulator/latency {"ms":N,"jitterMs"?:N,"match"?:"<path substring>"}` and
 * `GET /_emulator/latency`; bad input is a 400 naming the field. Answers the setting in force.
 */
export function registerLatencyControl(app: FastifyInstance, latency: Latency): void {
  app.put('/_emulator/latency', async (req, reply) => {
    const r = latencyInput.safeParse(req.body ?? {});
    if (!r.success) return reply.code(400).send({ error: z.prettifyError(r.error).replace(/\n/g, '; ') });
    return latency.set(r.data);
  });
  app.get('/_emulator/latency', async () => latency.get());
}
