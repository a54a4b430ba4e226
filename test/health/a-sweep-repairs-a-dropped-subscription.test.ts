/**
 * The health sweep reads every swept Page's webhook subscription in batches and, when Facebook
 * dropped it, subscribes the Page again once per change, with an alert that says so.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decideSubscriptionRepair } from '../../src/subscriptions/refresh-subscriptions.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { auditOf, callsTo, memoryNotifier, movableClock, openKeeper } from './setup.js';

const HOUR = 3600_000;

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A webhook receiver that passes verification and then fails every delivery. */
async function failingReceiver(): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') return void res.end(url.searchParams.get('hub.challenge') ?? '');
    req.resume();
    req.on('end', () => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('a dropped webhook subscription is repaired by the sweep', () => {
  it('after Facebook disables a failing callback and drops every Page, check() subscribes them again once, with one alert each', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const pageIds = user.pages.map((p) => p.id);
    const notifier = memoryNotifier();
    const { pk } = await openKeeper(emu, { notifiers: [notifier], notify: { pollMs: 20 } });
    await pk.connect(user.shortLivedToken);

    // An hour of failed deliveries: Facebook unsubscribes the app from the Pages.
    await emu.control.setWebhook({ url: await failingReceiver(), verifyToken: 'vt', maxAttempts: 1 });
    await emu.control.inbound(pageIds[0]!, { text: 'one' });
    await emu.control.advanceClock(3600);
    await emu.control.inbound(pageIds[0]!, { text: 'two' });
    for (const id of pageIds) expect((await emu.control.pageSubscription(id)).subscribedFields).toBeNull();

    await emu.control.resetStats();
    const result = await pk.check();
    expect(result.subscriptions.resubscribed.sort()).toEqual([...pageIds].sort());
    expect(await callsTo(emu, 'GET /{page-id}/subscribed_apps')).toBe(3);
    expect(await callsTo(emu, 'POST /{page-id}/subscribed_apps')).toBe(3);
    for (const id of pageIds) expect((await emu.control.pageSubscription(id)).subscribedFields).toContain('messages');
    expect((await pk.pages()).every((p) => p.subscription.subscribed)).toBe(true);

    const rows = await auditOf(pk, 'subscription_dropped');
    expect(rows.map((r) => r.pageId).sort()).toEqual([...pageIds].sort());
    expect(rows.every((r) => r.newState === 'subscribed')).toBe(true);
    await until(() => notifier.received.filter((e) => e.type === 'subscription_dropped').length === 3, 'three subscription alerts');
    expect(notifier.received.find((e) => e.type === 'subscription_dropped')?.summary).toMatch(/dropped its webhook subscription; pagekeeper subscribed it again/);

    // Nothing changed since: the next check reads, subscribes nothing, alerts nothing.
    await emu.control.resetStats();
    const second = await pk.check();
    expect(second.subscriptions.resubscribed).toEqual([]);
    expect(await callsTo(emu, 'POST /{page-id}/subscribed_apps')).toBe(0);
    expect(await auditOf(pk, 'subscription_dropped')).toHaveLength(3);
  });

  it('the scheduled sweep repairs a Page dropped between its rounds', async () => {
    const emu = await startTestEmulator();
    const user = emu.users[0]!;
    const clock = movableClock(emu);
    const { pk } = await openKeeper(emu, { clock });
    await pk.connect(user.shortLivedToken);
    const dropped = user.pages[1]!.id;
    await emu.control.dropPageSubscription(dropped);

    const scheduler = pk.schedule({ every: 6 * HOUR, initialDelayMs: 24 * HOUR, partitions: 1, sleep: async () => {} });
    await clock.advanceSeconds(4 * 3600);
    const round = await scheduler.runRound();
    await scheduler.stop();
    expect(round.resubscribed).toEqual([dropped]);
    expect(round.subscriptionCalls).toBe(2);
    expect((await emu.control.pageSubscription(dropped)).subscribedFields).toContain('messages');
    expect((await auditOf(pk, 'subscription_dropped', dropped)).map((r) => r.detail?.source)).toEqual(['scheduled_check']);
  });

  it.each([
    ['known subscribed, read subscribed', true, true, 'record'],
    ['known subscribed, read unsubscribed (Facebook dropped it)', true, false, 'resubscribe'],
    ['never read, read unsubscribed (connected before subscriptions existed)', null, false, 'resubscribe'],
    ['known unsubscribed (a failed repair), read unsubscribed: not again until it changes', false, false, 'record'],
    ['known unsubscribed, read subscribed', false, true, 'record'],
  ] as const)('decides once per change: %s', (_name, stored, readSubscribed, expected) => {
    const before = stored === null ? undefined : { pageId: '1', subscribed: stored, fields: [], checkedAt: new Date(), problem: null, fix: null };
    expect(decideSubscriptionRepair(before, { subscribed: readSubscribed })).toBe(expected);
  });
});
