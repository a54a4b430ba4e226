import { describe, expect, it } from 'vitest';
import { createSendThrottle, slowdownFactor } from '../../src/messenger/throttle.js';
import type { SendThrottle } from '../../src/messenger/throttle.js';
import type { BusinessUseCaseUsage } from '../../src/graph/usage.js';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

/** One sender that waits for each grant, sends at once, and records when it sent. */
function sendFor(throttle: SendThrottle, clock: ReturnType<typeof fakeClock>, pageId: string, untilMs: number, opts = {}): number[] {
  const sent: number[] = [];
  while (clock.now() < untilMs) {
    const wait = throttle.acquire(pageId, opts);
    clock.advance(wait);
    if (clock.now() < untilMs) sent.push(clock.now());
  }
  return sent;
}

function maxInAnySecond(times: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const bucUsage = (percent: number, regain = 0, type = 'messenger'): BusinessUseCaseUsage[] => [
  { type, callCount: percent, totalTime: 1, totalCputime: 1, estimatedTimeToRegainAccessMinutes: regain },
];

describe('the send throttle never exceeds the cap', () => {
  it.each([
    [300, undefined, 300],
    [1000, undefined, 300], // a configured cap above Facebook's figure is clamped
    [100, undefined, 100],
    [300, 37, 37],
  ])('cap %i (page cap %s) gives exactly %i grants in a simulated second', (maxPerSecond, pageCap, expected) => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ maxPerSecond, now: clock.now, ...(pageCap ? { pageCaps: { p1: pageCap } } : {}) });
    const sent = sendFor(throttle, clock, 'p1', 1000);
    expect(sent.length).toBe(expected);
  });

  it('holds the cap in every sliding second over ten seconds', () => {
    const clock = fakeClock(12_345);
    const throttle = createSendThrottle({ now: clock.now });
    const sent = sendFor(throttle, clock, 'p1', 12_345 + 10_000);
    expect(sent.length).toBeGreaterThanOrEqual(2990);
    expect(maxInAnySecond(sent)).toBe(300);
  });

  it('staggers concurrent reservations instead of granting them together', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ maxPerSecond: 100, now: clock.now });
    expect([0, 1, 2, 3].map(() => throttle.acquire('p1'))).toEqual([0, 10, 20, 30]);
  });

  it('keeps Pages independent', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ maxPerSecond: 10, now: clock.now });
    expect(throttle.acquire('a')).toBe(0);
    expect(throttle.acquire('b')).toBe(0);
    expect(throttle.acquire('a')).toBe(100);
  });

  it('limits audio and video to 10 per second while text keeps flowing', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now });
    expect(sendFor(throttle, clock, 'p1', 1000, { attachmentType: 'video' }).length).toBe(10);
  });

  it('refuses a cap that is not a positive number', () => {
    expect(() => createSendThrottle({ maxPerSecond: 0, now: () => 0 })).toThrow(/positive/);
  });
});

describe('the throttle slows down before the budget runs out', () => {
  it.each([
    [0, 1],
    [75, 1],
    [82.5, 0.75],
    [90, 0.5],
    [95, 0.3],
    [100, 0.1],
    [250, 0.1],
  ])('at %f%% of budget the rate is x%f', (percent, factor) => {
    expect(slowdownFactor(percent)).toBeCloseTo(factor, 10);
  });

  it.each([
    ['messenger usage 90%', { pages: { p1: bucUsage(90) } }, 150],
    ['pages usage 90% by total_time', { pages: { p1: [{ type: 'pages', callCount: 1, totalTime: 90, totalCputime: 1, estimatedTimeToRegainAccessMinutes: 0 }] } }, 150],
    ['ads usage is not about sending', { pages: { p1: bucUsage(99, 0, 'ads_management') } }, 300],
    ['usage under a business id applies to the Page', { pages: { biz9: bucUsage(90) } }, 150],
    ['app usage 90%', { app: { callCount: 90, totalTime: 0, totalCputime: 0 } }, 150],
    ['page 80% and app 95%: the tighter wins', { app: { callCount: 95, totalTime: 0, totalCputime: 0 }, pages: { p1: bucUsage(80) } }, 90],
    ['no headers: full speed', {}, 300],
  ])('%s gives %i grants per second', (_name, usage, expected) => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now });
    throttle.observeUsage('p1', usage);
    expect(sendFor(throttle, clock, 'p1', 1000).length).toBe(expected);
  });

  it('speeds up again when usage falls', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now });
    throttle.observeUsage('p1', { pages: { p1: bucUsage(100) } });
    expect(throttle.state('p1').perSecond).toBeCloseTo(30);
    throttle.observeUsage('p1', { pages: { p1: bucUsage(20) } });
    expect(throttle.state('p1').perSecond).toBe(300);
  });
});

describe('the throttle pauses when Facebook says so', () => {
  it('pauses a Page until estimated_time_to_regain_access, other Pages go on', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now });
    throttle.observeUsage('p1', { pages: { p1: bucUsage(100, 3) } });
    expect(throttle.acquire('p1')).toBe(180_000);
    expect(throttle.acquire('p2')).toBe(0);
    expect(throttle.state('p1').pausedUntil).toBe(180_000);
    clock.set(180_000);
    expect(throttle.state('p1').pausedUntil).toBeNull();
  });

  it('pauses a Page for a throttle error’s retry-after', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now });
    throttle.observeThrottle('p1', 5000);
    expect(throttle.acquire('p1')).toBe(5000);
    throttle.observeThrottle('p1', 1000); // a shorter pause never shortens the current one
    expect(throttle.state('p1').pausedUntil).toBe(5000);
  });

  it('pauses every Page when the app budget is spent', () => {
    const clock = fakeClock(0);
    const throttle = createSendThrottle({ now: clock.now, appPauseMs: 30_000 });
    throttle.observeUsage('p1', { app: { callCount: 100, totalTime: 10, totalCputime: 10 } });
    expect(throttle.acquire('p2')).toBe(30_000);
    throttle.observeAppThrottle(60_000);
    expect(throttle.acquire('p3')).toBe(60_000);
  });

  it('wait() sleeps for the reserved slot and honours abort', async () => {
    const clock = fakeClock(0);
    const slept: number[] = [];
    const throttle = createSendThrottle({ maxPerSecond: 10, now: clock.now, sleep: async (ms) => void slept.push(ms) });
    await throttle.wait('p1');
    await throttle.wait('p1');
    expect(slept).toEqual([100]);
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await expect(throttle.wait('p1', ac.signal)).rejects.toThrow('stopped');
  });

  it('setPageCap lowers and restores a Page cap', () => {
    const throttle = createSendThrottle({ now: () => 0 });
    throttle.setPageCap('p1', 50);
    expect(throttle.state('p1').cap).toBe(50);
    throttle.setPageCap('p1', undefined);
    expect(throttle.state('p1').cap).toBe(300);
  });
});
