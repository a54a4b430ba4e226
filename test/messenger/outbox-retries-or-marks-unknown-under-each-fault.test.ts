/**
 * Each fault kind the emulator injects, through the outbox. The emulator applies a fault BEFORE
 * it handles the request (src/emulator/server.ts graphRoute), so a faulted send is never
 * recorded on /_emulator/pages/{id}/messages, except `timeout` with `delayMs`, which answers
 * late and then does deliver. What pagekeeper cannot know: after a reset, a timeout or an
 * unreadable 200 the request may have reached Facebook, so it marks the message `unknown`
 * instead of risking a duplicate, unless the message opted into at-least-once.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/emulator/index.js';
import { startMessengerWorld, textBody, waitFor } from '../helpers/messenger.js';

const FAST_RETRIES = { pollMs: 20, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 400 };

interface Case {
  kind: FaultKind;
  delayMs?: number;
  atLeastOnce?: boolean;
  status: 'sent' | 'unknown';
  attempts: number;
  /** Messages the person really received, counted on the emulator. */
  delivered: number;
}

const CASES: Case[] = [
  { kind: 'http500', status: 'sent', attempts: 2, delivered: 1 },
  { kind: 'http503', status: 'sent', attempts: 2, delivered: 1 },
  { kind: 'transient', status: 'sent', attempts: 2, delivered: 1 },
  { kind: 'html502', status: 'sent', attempts: 2, delivered: 1 },
  { kind: 'reset', status: 'unknown', attempts: 1, delivered: 0 },
  { kind: 'reset', atLeastOnce: true, status: 'sent', attempts: 2, delivered: 1 },
  { kind: 'timeout', status: 'unknown', attempts: 1, delivered: 0 },
  { kind: 'timeout', atLeastOnce: true, status: 'sent', attempts: 2, delivered: 1 },
  // Answered after our timeout: it went out, and a retry would send it twice.
  { kind: 'timeout', delayMs: 800, status: 'unknown', attempts: 1, delivered: 1 },
  { kind: 'timeout', delayMs: 800, atLeastOnce: true, status: 'sent', attempts: 2, delivered: 2 },
  { kind: 'malformed_json', status: 'unknown', attempts: 1, delivered: 0 },
  { kind: 'malformed_json', atLeastOnce: true, status: 'sent', attempts: 2, delivered: 1 },
];

describe('outbox delivery under injected faults', () => {
  it.each(CASES)('$kind (delay $delayMs, at-least-once $atLeastOnce) ends $status after $attempts attempts, $delivered delivered', async (c) => {
    const w = await startMessengerWorld({ graphTimeoutMs: FAST_RETRIES.timeoutMs });
    await w.emu.control.addFault({ match: `${w.pageId}/messages`, kind: c.kind, count: 1, ...(c.delayMs === undefined ? {} : { delayMs: c.delayMs }) });
    const { id } = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `under ${c.kind}`), { atLeastOnce: c.atLeastOnce === true });
    const after = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'the next one'));
    w.pk.messenger.startWorker(FAST_RETRIES);

    const m = await waitFor(() => w.pk.messenger.getMessage(id), (v) => v?.status === c.status);
    expect(m?.attempts).toBe(c.attempts);
    if (c.status === 'unknown') expect(m?.error?.message).toMatch(/may have reached Facebook/);
    // The person's next message is not stuck behind an unknown one.
    await waitFor(() => w.pk.messenger.getMessage(after.id), (v) => v?.status === 'sent');
    if (c.delayMs !== undefined) await new Promise((r) => setTimeout(r, c.delayMs! + 200));
    const texts = (await w.sent()).map((s) => s.message?.text);
    expect(texts.filter((t) => t === `under ${c.kind}`)).toHaveLength(c.delivered);
    expect(texts.filter((t) => t === 'the next one')).toHaveLength(1);
  });

  it('fails a message Facebook refuses for good, with its code and reason, without retrying', async () => {
    const w = await startMessengerWorld();
    // The emulator knows no such person: 100/2018001.
    await w.pk.messenger.recordInbound(w.pageId, '1234', Date.now());
    const { id } = await w.pk.messenger.enqueue(w.pageId, textBody('1234', 'hello?'));
    w.pk.messenger.startWorker(FAST_RETRIES);
    const m = await waitFor(() => w.pk.messenger.getMessage(id), (v) => v?.status === 'failed');
    expect(m).toMatchObject({ attempts: 1, error: { code: 100, subcode: 2018001 } });
    expect(m?.error?.message).toMatch(/no person with this id/);
  });

  it('retries a throttled message after the Page may send again, without losing it', async () => {
    const w = await startMessengerWorld({ messenger: { maxPerSecond: 300 } });
    await w.emu.control.setLimits({ pageId: w.pageId, sendPerSecond: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, `t${i}`))).id);
    w.pk.messenger.startWorker(FAST_RETRIES);
    // A send past the limit hits 613 and the Page pauses (the emulator says: regain access in 1
    // minute). Which send that is depends on where the emulator's one-second window falls: the
    // second, or the third when the window rolled over between the first two.
    await waitFor(() => Promise.resolve(w.pk.messenger.throttle.state(w.pageId).pausedUntil), (p) => p !== null);
    // Outcomes are written in batches, a few ms after the answer.
    const views = await waitFor(
      () => Promise.all(ids.map((id) => w.pk.messenger.getMessage(id))),
      (vs) => vs.every((v) => v !== undefined && v.status !== 'sending'),
    );
    const refused = views.findIndex((v) => v?.status !== 'sent');
    expect(refused).toBeGreaterThan(0);
    expect(views[refused]).toMatchObject({ status: 'queued', error: { code: 613 } });
    // Nothing after it went out: the person's later messages wait behind it, none is lost.
    expect(views.slice(refused).map((v) => v?.status)).toEqual(views.slice(refused).map(() => 'queued'));
    expect((await w.sent()).map((s) => s.message?.text)).toEqual(ids.slice(0, refused).map((_, i) => `t${i}`));
  });
});
