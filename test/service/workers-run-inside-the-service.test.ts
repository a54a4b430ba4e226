import { describe, expect, it } from 'vitest';
import type { HealthRound } from '../../src/health/start-health-scheduler.js';
import { createServiceExtensions } from '../../src/service/service-extensions.js';
import { silentLogger } from '../../src/core/logger.js';
import { eventually } from './serve-process.js';
import { startService } from './service-harness.js';

describe('the workers inside the service', () => {
  it('the health scheduler notices a changed password on its own and stops when asked', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    await h.emu.control.event(h.emu.users[0]!.id, 'password_changed');
    // Rounds every second: tokens not checked in the last half second are stale.
    const rounds: HealthRound[] = [];
    const ext = await createServiceExtensions({
      pk: h.pk,
      logger: silentLogger,
      outboxWorker: false,
      healthScheduler: { every: 1_000, jitter: 0, initialDelayMs: 600, onRound: (r) => rounds.push(r) },
    });
    expect(ext.workers.map((w) => w.name)).toEqual(['health']);
    for (const w of ext.workers) await w.start();
    const round = await eventually(async () => rounds.find((r) => r.invalidated > 0), 'a scheduled round to find the lost tokens');
    expect(round.changed.map((c) => c.pageId)).toContain(pageId);
    const page = await h.deps.pages.get(pageId!);
    expect([page?.status, page?.reason]).toEqual(['needs_reauth', expect.stringMatching(/password/i)]);
    await Promise.all(ext.workers.map((w) => w.stop(5_000)));
  });

  it('the REST API queues into the library outbox, and the outbox worker sends and stops', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const { psid } = await h.emu.control.inbound(pageId!, { text: 'hi' });
    await h.pk.messenger.recordInbound(pageId!, psid, new Date());
    const ext = await createServiceExtensions({ pk: h.pk, logger: silentLogger, healthScheduler: false });
    expect(ext.workers.map((w) => w.name)).toEqual(['outbox']);

    const body = { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'queued before the worker starts' } };
    const first = await ext.outbox!.enqueue(pageId!, body, { idempotencyKey: 'k1' });
    expect(first).toEqual({ id: expect.stringMatching(/^msg_/), status: 'queued', duplicate: false });
    expect(await ext.outbox!.enqueue(pageId!, body, { idempotencyKey: 'k1' })).toEqual({ ...first, duplicate: true });
    expect(await ext.outbox!.get(first.id)).toMatchObject({ id: first.id, pageId, psid, status: 'queued' });

    for (const w of ext.workers) await w.start();
    const sent = await eventually(async () => {
      const m = await ext.outbox!.get(first.id);
      return m?.status === 'sent' ? m : undefined;
    }, 'the worker to send');
    expect(sent.messageId).toEqual(expect.any(String));
    expect((await h.emu.control.sentMessages(pageId!)).map((m) => m.messageId)).toEqual([sent.messageId]);
    await Promise.all(ext.workers.map((w) => w.stop(5_000)));
    expect(await ext.outbox!.get('msg_nope')).toBeUndefined();
  });
});
