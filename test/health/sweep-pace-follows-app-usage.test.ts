import { describe, expect, it } from 'vitest';
import { decideSweepPace } from '../../src/health/decide-sweep-pace.js';
import { partitionOf } from '../../src/health/partition-of.js';

const base = { share: 0.5, minIntervalMs: 100, pauseMs: 60_000 };

describe('how fast a sweep may call, from X-App-Usage call_count', () => {
  it.each<[number | null, string, unknown, string]>([
    [null, 'go', 100, 'no header: usage is low'],
    [0, 'go', 100, 'idle app'],
    [37, 'go', 100, 'under 75% of the share'],
    [37.5, 'go', 100, 'slowdown starts at 75% of the share'],
    [43.75, 'go', 30_050, 'halfway through the slowdown band'],
    [49.9, 'go', expect.any(Number), 'just under the share: close to a pause'],
    [50, 'pause', 60_000, 'at the share'],
    [97, 'pause', 60_000, 'near Facebook throttling'],
    [140, 'pause', 60_000, 'over 100 (legacy headers can exceed it)'],
  ])('call_count %s -> %s %s ms (%s)', (appCallCount, action, waitMs) => {
    expect(decideSweepPace({ ...base, appCallCount })).toEqual({ action, waitMs });
  });

  it('just under the share waits almost a pause', () => {
    const pace = decideSweepPace({ ...base, appCallCount: 49.9 });
    expect(pace.waitMs).toBeGreaterThan(59_000);
    expect(pace.waitMs).toBeLessThan(60_000);
  });

  it('a share of 1 lets the sweep run until Facebook itself would throttle', () => {
    expect(decideSweepPace({ ...base, share: 1, appCallCount: 60 }).action).toBe('go');
    expect(decideSweepPace({ ...base, share: 1, appCallCount: 100 }).action).toBe('pause');
  });
});

describe('sweep partitions', () => {
  it('every instance puts a Page in the same partition, and pages spread over all of them', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(100000000000000 + i * 7919));
    const counts = new Array<number>(8).fill(0);
    for (const id of ids) {
      const p = partitionOf(id, 8);
      expect(p).toBe(partitionOf(id, 8));
      counts[p]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(60);
    expect(partitionOf('123', 1)).toBe(0);
  });
});
