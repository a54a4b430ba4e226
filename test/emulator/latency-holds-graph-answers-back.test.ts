/**
 * The emulator's round-trip latency: every Graph answer waits `ms` (+/- jitter), the control API
 * never does, `match` narrows it to some paths, `{ms:0}` turns it off, and many requests wait
 * side by side (timers, not a queue).
 */
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSION, graph, startTestEmulator } from '../helpers/emulator.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

describe('emulator latency', () => {
  it('holds every Graph answer back, not the control API, and shows and clears the setting', async () => {
    const emu = await startTestEmulator();
    const token = emu.users[0]!.shortLivedToken;
    expect(await emu.control.request('GET', 'latency')).toEqual({ ms: 0, jitterMs: 0, match: null });
    expect(await emu.control.setLatency({ ms: 150 })).toEqual({ ms: 150, jitterMs: 0, match: null });

    const slow = await timed(() => graph(emu, `${GRAPH_VERSION}/me?access_token=${token}`));
    expect(slow.value.status).toBe(200);
    expect(slow.value.json.id).toBe(emu.users[0]!.id);
    expect(slow.ms).toBeGreaterThanOrEqual(145);
    // Error answers wait too: they are Graph answers.
    const refused = await timed(() => graph(emu, `${GRAPH_VERSION}/me?access_token=not-a-token`));
    expect(refused.value.status).toBe(400);
    expect(refused.ms).toBeGreaterThanOrEqual(145);

    const control = await fetch(`${emu.url}/_emulator/latency`);
    expect(await control.json()).toEqual({ ms: 150, jitterMs: 0, match: null });

    await emu.control.setLatency({ ms: 0 });
    expect(await emu.control.request('GET', 'latency')).toEqual({ ms: 0, jitterMs: 0, match: null });
    const fast = await timed(() => graph(emu, `${GRAPH_VERSION}/me?access_token=${token}`));
    expect(fast.ms).toBeLessThan(145);
  });

  it('delays only paths containing `match`', async () => {
    const emu = await startTestEmulator();
    const token = emu.users[0]!.shortLivedToken;
    await emu.control.setLatency({ ms: 200, match: '/accounts' });
    const me = await timed(() => graph(emu, `${GRAPH_VERSION}/me?access_token=${token}`));
    const accounts = await timed(() => graph(emu, `${GRAPH_VERSION}/me/accounts?access_token=${token}`));
    expect(accounts.value.status).toBe(200);
    expect(accounts.ms).toBeGreaterThanOrEqual(195);
    expect(me.ms).toBeLessThan(195);
  });

  it('keeps jitter within +/- jitterMs of ms', async () => {
    const emu = await startTestEmulator({ latency: { ms: 100, jitterMs: 50 } });
    const token = emu.users[0]!.shortLivedToken;
    const times = await Promise.all(Array.from({ length: 20 }, () => timed(() => graph(emu, `${GRAPH_VERSION}/me?access_token=${token}`)).then((t) => t.ms)));
    for (const ms of times) expect(ms).toBeGreaterThanOrEqual(48);
  });

  it('lets many requests wait at once: 200 answers at 300 ms come back together, not one after another', async () => {
    const emu = await startTestEmulator({ latency: { ms: 300 } });
    const token = emu.users[0]!.shortLivedToken;
    const all = await timed(() => Promise.all(Array.from({ length: 200 }, () => graph(emu, `${GRAPH_VERSION}/me?access_token=${token}`))));
    expect(all.value.every((r) => r.status === 200)).toBe(true);
    // Served one after another they would take 60 s; side by side they take about one round trip.
    expect(all.ms).toBeGreaterThanOrEqual(295);
    expect(all.ms).toBeLessThan(30_000);
  });

  it('refuses bad settings with a 400 naming the field', async () => {
    const emu = await startTestEmulator();
    const res = await fetch(`${emu.url}/_emulator/latency`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: -5 }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/ms/);
    const extra = await fetch(`${emu.url}/_emulator/latency`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 5, delay: 1 }) });
    expect(extra.status).toBe(400);
  });
});
