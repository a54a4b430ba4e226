/**
 * Facebook's round trip for the real-network rows: the emulator holds every Graph answer back
 * (PUT /_emulator/latency, docs/emulator.md) while `fn` runs, and answers at loopback speed again
 * afterwards, whatever happens.
 */
import type { BenchEmulator } from './emulator-process.js';

/** graph.facebook.com answers in 50-300 ms from most networks; the rows model 200 ms. */
export const ROUND_TRIP_MS = 200;

export async function withRoundTrip<T>(emu: BenchEmulator, fn: () => Promise<T>, ms = ROUND_TRIP_MS, match?: string): Promise<T> {
  await emu.control('PUT', '/_emulator/latency', { ms, ...(match === undefined ? {} : { match }) });
  try {
    return await fn();
  } finally {
    await emu.control('PUT', '/_emulator/latency', { ms: 0 });
  }
}
