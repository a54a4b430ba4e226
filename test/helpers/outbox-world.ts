/**
 * A queued outbox for the several-instances test and bench: an emulator (page limits off;
 * in-process unless `emulator: 'process'`), one admin with `pages` Pages connected into
 * `database`, `recipients` people per Page who wrote first (the 24 h window is open), and
 * `messages` texts queued round-robin over the people (after `warmup` more, queued first the
 * same way: a bench times from when those are out; or, `warmupApart`, to people of their own).
 * With `held`, `messages` wait until `release()`. Each text is `r<recipient>#<n>`, n
 * counting up per person, so the emulator's record shows duplicates, losses and order. No
 * vitest import (the bench uses it).
 */
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createPageKeeper, type PageKeeper } from '../../src/pagekeeper.js';
import { startEmulatorProcess } from './emulator-process.js';
import { keeperOptions } from './emulator.js';

export interface OutboxWorld {
  emu: RunningEmulator;
  /** The emulator's process id when it runs in a process of its own (`emulator: 'process'`). */
  emulatorPid?: number;
  pageIds: string[];
  /** PAGEKEEPER_* for instances on this world. */
  env: Record<string, string>;
  /** Messages queued, the warm-up's included. */
  messages: number;
  /** Messages the emulator has recorded, all pages. */
  delivered(): Promise<number>;
  /** Per page, what the emulator recorded, in arrival order. */
  sent(): Promise<Map<string, { recipientId: string; text: string }[]>>;
  /** With `held`: makes `messages` due now (they waited far in the future). */
  release(): Promise<void>;
  /** The PageKeeper that queued everything (it runs no worker). */
  pk: PageKeeper;
  close(): Promise<void>;
}

export interface OutboxWorldOptions {
  database: string;
  pages?: number;
  recipients?: number;
  messages: number;
  /** Messages queued before `messages` (default 0): every person's first ones. */
  warmup?: number;
  /** The warm-up goes to people of its own (another `recipients` per Page): `messages`' people have no history. */
  warmupApart?: boolean;
  /** `messages` (not the warm-up) wait until `release()`: a bench or test starts them at a moment of its choosing. */
  held?: boolean;
  /** Round trip the emulator adds to every Graph answer (ms); default none (loopback). */
  latencyMs?: number;
  /**
   * `process`: the emulator runs as `pagekeeper emulator` in a process of its own
   * (test/helpers/emulator-process.ts), not in this one's event loop and heap; default in-process.
   */
  emulator?: 'in-process' | 'process';
}

export async function prepareOutboxWorld(options: OutboxWorldOptions): Promise<OutboxWorld> {
  const pageCount = options.pages ?? 10;
  const perPage = options.recipients ?? 10;
  const child = options.emulator === 'process' ? await startEmulatorProcess() : undefined;
  const emu: RunningEmulator = child ?? (await startEmulator({ host: '127.0.0.1', port: 0 }));
  // The world is prepared at loopback speed; the round trip applies once instances send.
  if (options.latencyMs !== undefined) await emu.control.setLatency({ ms: 0 });
  // The emulator's Page and app limits out of the way: the instances' own throttle paces them.
  await emu.control.setLimits({ enabled: false });
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const pk = await createPageKeeper(keeperOptions(emu, { database: options.database, keys }));
  try {
    const admin = await emu.control.createUser({ name: 'Outbox Admin', pages: Array.from({ length: pageCount }, (_, i) => ({ name: `Shop ${i}` })) });
    await pk.connect(admin.shortLivedToken);
    const pageIds = admin.pages.map((p) => p.id);

    const recipients: { pageId: string; psid: string }[] = [];
    const apart = options.warmupApart === true && (options.warmup ?? 0) > 0;
    for (const pageId of pageIds) {
      for (let r = 0; r < (apart ? 2 * perPage : perPage); r++) {
        const psid = `${pageIds.indexOf(pageId) + 1}${String(r).padStart(4, '0')}${randomBytes(4).readUInt32BE(0) % 100000}`;
        const { psid: known } = await emu.control.inbound(pageId, { text: 'hi', psid });
        await pk.messenger.recordInbound(pageId, known, new Date());
        recipients.push({ pageId, psid: known });
      }
    }

    // Each person's messages are queued in order by one chain; chains run side by side. The
    // warm-up and the rest are each dealt round-robin over the people.
    const total = (options.warmup ?? 0) + options.messages;
    // Apart, every Page's first `recipients` people get the timed messages, the others the warm-up.
    const timedPeople = apart ? recipients.filter((_, i) => i % (2 * perPage) < perPage) : recipients;
    const warmupPeople = apart ? recipients.filter((_, i) => i % (2 * perPage) >= perPage) : recipients;
    const dealt = (n: number, people: readonly unknown[], rcp: unknown) => {
      const index = people.indexOf(rcp);
      if (index < 0) return 0;
      return Math.floor(n / people.length) + (index < n % people.length ? 1 : 0);
    };
    // A person's warm-up comes first; what follows it is `messages`, held when asked.
    const heldIds: string[] = [];
    await Promise.all(
      recipients.map(async (rcp, index) => {
        const warm = dealt(options.warmup ?? 0, warmupPeople, rcp);
        const count = warm + dealt(options.messages, timedPeople, rcp);
        for (let n = 1; n <= count; n++) {
          const { id } = await pk.messenger.enqueue(rcp.pageId, { recipient: { id: rcp.psid }, messaging_type: 'RESPONSE', message: { text: `r${index}#${n}` } });
          if (options.held === true && n > warm) heldIds.push(id);
        }
      }),
    );
    // Held messages wait far in the future until released (straight in the table: no enqueue
    // option delays a message).
    const { db } = pk.context.store;
    const dueAt = async (at: number) => {
      for (let i = 0; i < heldIds.length; i += 500) await db.updateTable('outbox').set({ next_attempt_at: at }).where('id', 'in', heldIds.slice(i, i + 500)).where('status', '=', 'queued').execute();
    };
    await dueAt(Number.MAX_SAFE_INTEGER);

    if (options.latencyMs !== undefined) await emu.control.setLatency({ ms: options.latencyMs });
    const sent = async () => {
      const out = new Map<string, { recipientId: string; text: string }[]>();
      for (const id of pageIds) {
        const list = await emu.control.sentMessages(id);
        out.set(
          id,
          list.map((m) => ({ recipientId: m.recipientId, text: (m.message as { text?: string } | null)?.text ?? '' })),
        );
      }
      return out;
    };
    return {
      emu,
      ...(child ? { emulatorPid: child.pid } : {}),
      pk,
      pageIds,
      messages: total,
      env: { PAGEKEEPER_DATABASE: options.database, PAGEKEEPER_KEYS: keys, PAGEKEEPER_APP_ID: emu.appId, PAGEKEEPER_APP_SECRET: emu.appSecret, PAGEKEEPER_GRAPH_URL: emu.url },
      async delivered() {
        const stats = await emu.control.stats();
        return stats.calls['POST /{page-id}/messages'] ?? 0;
      },
      sent,
      release: () => dueAt(Date.now()),
      async close() {
        await pk.close();
        await emu.close();
      },
    };
  } catch (e) {
    await pk.close();
    await emu.close();
    throw e;
  }
}
