/**
 * Issue 7 items 2 and 5: three instances (separate processes) on one PostgreSQL deliver 5,000
 * queued messages across 10 Pages exactly once, counted on the emulator, each person's
 * messages in order, while one instance is SIGKILLed midway; the claims it held are taken over
 * once they expire (the claim expiry is shortened here from the 30 s default).
 *
 * The kill lands while the victim holds claims but has no POST in flight: it is frozen
 * (SIGSTOP), its rows are read, and it is killed only if none is `sending`. A message whose
 * POST is in flight at a SIGKILL may or may not have reached Facebook, which has no
 * idempotency key, so pagekeeper marks it `unknown` instead of guessing; the last test shows that.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawnInstance, stopAll, type Instance } from '../helpers/instances.js';
import { prepareOutboxWorld, type OutboxWorld } from '../helpers/outbox-world.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';

const MESSAGES = 5_000;
const LEASE_MS = 3_000;

const probe = await startPostgres();
const skipped = 'skipped' in probe ? probe.skipped : undefined;
if (skipped) console.log(`[postgres] several-instances suite skipped: ${skipped}`);
const handles: PostgresHandle[] = skipped ? [] : [probe as PostgresHandle];
afterAll(async () => {
  for (const h of handles) await h.stop();
});

async function freshDatabase(): Promise<string> {
  const unused = handles.length === 1 && !used ? handles[0]! : undefined;
  used = true;
  if (unused) return unused.url;
  const r = (await startPostgres()) as PostgresHandle;
  handles.push(r);
  return r.url;
}
let used = false;

/** Instances stop before the world (emulator, database) they work on closes. */
const running: Instance[] = [];
async function world(messages: number): Promise<OutboxWorld> {
  const w = await prepareOutboxWorld({ database: await freshDatabase(), pages: 10, recipients: 10, messages });
  onTestFinished(async () => {
    await stopAll(running.splice(0));
    await w.close();
  });
  return w;
}

async function instances(w: OutboxWorld, n: number, first: Record<string, string> = {}): Promise<Instance[]> {
  const env = { ...w.env, PK_LEASE_MS: String(LEASE_MS), PAGEKEEPER_DB_POOL_SIZE: '10' };
  const all = await Promise.all(Array.from({ length: n }, (_, i) => spawnInstance('outbox', i === 0 ? { ...env, ...first } : env, `inst-${i}`)));
  running.push(...all);
  return all;
}

/** Rows by status, and the victim's claims, read straight from the shared database. */
async function outboxState(w: OutboxWorld, workerId?: string) {
  const db = w.pk.context.store.db;
  const counts = await w.pk.messenger.counts();
  const mine = workerId
    ? await db.selectFrom('outbox').select(['status', 'claim_expires_at']).where('claimed_by', '=', workerId).where('status', 'in', ['queued', 'sending']).execute()
    : [];
  return { counts, claimed: mine.filter((r) => r.status === 'queued'), sending: mine.filter((r) => r.status === 'sending') };
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 90_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Freezes the victim until it holds queued claims and has no POST in flight, then SIGKILLs it. */
async function killWhileHoldingClaims(w: OutboxWorld, victim: Instance): Promise<{ at: number; claims: number; latestExpiry: number }> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    process.kill(victim.pid, 'SIGSTOP');
    // Whatever it had already written to PostgreSQL or the emulator lands meanwhile.
    await sleep(50);
    const s = await outboxState(w, victim.id);
    seen.push(`${s.claimed.length}/${s.sending.length}`);
    if (s.sending.length === 0 && s.claimed.length > 0) {
      const at = Date.now();
      victim.kill('SIGKILL');
      process.kill(victim.pid, 'SIGCONT');
      await victim.exited;
      return { at, claims: s.claimed.length, latestExpiry: Math.max(...s.claimed.map((r) => Number(r.claim_expires_at))) };
    }
    process.kill(victim.pid, 'SIGCONT');
    await sleep(100);
  }
  // Seen when claims are marked `sending` at claim time: a SIGKILL would then turn messages that
  // were only waiting for a throttle slot (never POSTed) into `unknown`, i.e. lost (issue 7:
  // "nothing lost"). Claims must stay `queued` until their POST starts.
  throw new Error(`the victim never held queued claims without a send in flight (queued claims/sending, last samples: ${seen.slice(-20).join(' ')})`);
}

describe.skipIf(skipped !== undefined)('three instances on one PostgreSQL', () => {
  it('deliver 5,000 messages across 10 pages exactly once, in order per person, while one is SIGKILLed', { timeout: 240_000 }, async () => {
    const w = await world(MESSAGES);
    expect((await w.pk.messenger.counts()).queued).toBe(MESSAGES);
    // The victim is a slow instance (a low send rate of its own): it sits on its claims while
    // it waits for its throttle, so it is caught holding claims with no POST in flight.
    const [victim, ...survivors] = await instances(w, 3, { PK_MAX_PER_SECOND: '3', PK_CONCURRENCY: '20' });
    for (const i of [victim!, ...survivors]) i.go();

    await waitUntil('a third delivered', async () => (await w.delivered()) >= MESSAGES / 3);
    const kill = await killWhileHoldingClaims(w, victim!);
    // The bound: the victim renewed its claims at most one lease before it died.
    expect(kill.latestExpiry).toBeLessThanOrEqual(kill.at + LEASE_MS);

    await waitUntil('every message final', async () => {
      const c = await w.pk.messenger.counts();
      return c.queued === 0 && c.sending === 0 && c.held === 0 && c;
    });
    const takeoverMs = Date.now() - kill.at;
    console.log(`[postgres] victim held ${kill.claims} claims at SIGKILL; all delivered ${takeoverMs} ms later (claim expiry ${LEASE_MS} ms)`);

    const counts = await w.pk.messenger.counts();
    expect(counts).toMatchObject({ sent: MESSAGES, failed: 0, unknown: 0 });

    // On the emulator: every text once, none missing, and each person's in order.
    const sent = await w.sent();
    const texts = [...sent.values()].flat().map((m) => m.text);
    expect(texts).toHaveLength(MESSAGES);
    expect(new Set(texts).size).toBe(MESSAGES);
    for (const list of sent.values()) {
      const last = new Map<string, number>();
      for (const m of list) {
        const [who, n] = m.text.slice(1).split('#').map(Number) as [number, number];
        expect(n, `person r${who}`).toBe((last.get(m.recipientId) ?? 0) + 1);
        last.set(m.recipientId, n);
      }
    }

    // Nothing was sent twice by a retry either: every row took one attempt.
    const retried = await w.pk.context.store.db.selectFrom('outbox').select('id').where('attempts', '!=', 1).execute();
    expect(retried).toHaveLength(0);
    expect(kill.claims).toBeGreaterThan(0);
    for (const s of survivors) expect(s.events.some((e) => e.event === 'working')).toBe(true);
  });

  it('a message whose POST was in flight at SIGKILL becomes unknown, never sent twice', { timeout: 120_000 }, async () => {
    const w = await world(600);
    // The emulator answers sends slowly, so the victim is caught with POSTs in flight.
    await w.emu.control.addFault({ match: '/messages', kind: 'timeout', delayMs: 1_500, rate: 1 });
    const [victim] = await instances(w, 1);
    victim!.go();
    const inFlight = await waitUntil('sends in flight', async () => {
      const s = await outboxState(w, victim!.id);
      return s.sending.length > 0 && s.sending.length;
    });
    victim!.kill('SIGKILL');
    await victim!.exited;
    await w.emu.control.clearFaults();

    const [rescuer] = await instances(w, 1);
    rescuer!.go();
    await waitUntil('every message final', async () => {
      const c = await w.pk.messenger.counts();
      return c.queued === 0 && c.sending === 0 && c.held === 0 && c;
    });
    const counts = await w.pk.messenger.counts();
    expect(counts.unknown).toBeGreaterThanOrEqual(inFlight);
    expect(counts.sent + counts.unknown).toBe(600);
    const texts = [...(await w.sent()).values()].flat().map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
    const unknown = await w.pk.messenger.list({ status: 'unknown' });
    expect(unknown.every((m) => /may have been delivered/.test(m.error?.message ?? ''))).toBe(true);
  });
});
