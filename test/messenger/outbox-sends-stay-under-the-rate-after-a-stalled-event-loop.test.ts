/**
 * Throttle slots are spaced evenly, but when the event loop stalls (a long database write, a
 * busy machine) every timer that came due fires at once. Facebook counts sends as they arrive
 * (the emulator's 613 at 101 in a second), so the sends actually released must stay under the
 * cap in every sliding second, even right after a stall.
 */
import { describe, expect, it } from 'vitest';
import { createSendThrottle } from '../../src/messenger/throttle.js';

interface Timer {
  at: number;
  fire: () => void;
}

describe('the send throttle after a stalled event loop', () => {
  it('releases at most the cap in any one second, not the whole backlog at once', async () => {
    let clock = 0;
    const timers: Timer[] = [];
    const throttle = createSendThrottle({ maxPerSecond: 10, now: () => clock, sleep: (ms) => new Promise<void>((fire) => timers.push({ at: clock + ms, fire })) });
    const released: number[] = [];
    const senders = Array.from({ length: 30 }, () => throttle.wait('p1').then(() => void released.push(clock)));

    // Nothing runs between 0 and 2,500 ms; then every due timer fires, earliest first.
    const stallEnd = 2_500;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (next === undefined) break;
      clock = Math.max(clock, next.at, stallEnd);
      next.fire();
    }
    await Promise.all(senders);

    expect(released).toHaveLength(30);
    for (let i = 0; i + 10 < released.length; i++) expect(released[i + 10]! - released[i]!).toBeGreaterThanOrEqual(1000);
  });
});
