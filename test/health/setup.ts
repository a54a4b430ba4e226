/**
 * Shared set-up for the health tests: a PageKeeper against an emulator (test/tokens/setup.ts),
 * a clock that moves with the emulator's, an in-memory notifier, and audit helpers.
 */
import type { RunningEmulator } from '../../src/emulator/index.js';
import type { HealthEvent, Notifier } from '../../src/notify/types.js';
import type { PageKeeper } from '../../src/pagekeeper.js';
import type { Clock } from '../../src/core/clock.js';
import { openKeeper, type TestKeeper } from '../tokens/setup.js';

export { openKeeper, newKey, tempDir } from '../tokens/setup.js';

/** A clock that reads real time plus whatever the test advanced, kept in step with the emulator. */
export function movableClock(emu: RunningEmulator): Clock & { advanceDays(days: number): Promise<void>; advanceSeconds(s: number): Promise<void> } {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    async advanceSeconds(s) {
      offsetMs += s * 1000;
      await emu.control.advanceClock(s);
    },
    async advanceDays(days) {
      await this.advanceSeconds(days * 24 * 3600);
    },
  };
}

/** A notifier that keeps what it receives. */
export function memoryNotifier(name = 'memory'): Notifier & { received: HealthEvent[] } {
  const received: HealthEvent[] = [];
  return {
    name,
    received,
    async notify(event) {
      received.push(event);
    },
  };
}

/** Audit rows of one kind (oldest first). */
export async function auditOf(pk: PageKeeper, event: string, pageId?: string) {
  const all = await pk.context.store.audit.list({ limit: 10_000, pageId });
  return all.filter((e) => e.event === event).reverse();
}

/** Calls made to the emulator, by its stats key, since the last reset. */
export async function callsTo(emu: RunningEmulator, key: string): Promise<number> {
  return (await emu.control.stats()).calls[key] ?? 0;
}

/** One user with the given pages, connected to a fresh PageKeeper. */
export async function connectedKeeper(emu: RunningEmulator, options: Parameters<typeof openKeeper>[1] = {}): Promise<TestKeeper & { userId: string; pageIds: string[] }> {
  const k = await openKeeper(emu, options);
  const user = emu.users[0]!;
  await k.pk.connect(user.shortLivedToken);
  return { ...k, userId: user.id, pageIds: user.pages.map((p) => p.id) };
}
