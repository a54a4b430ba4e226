/**
 * A worker process is SIGKILLed while sends are in flight, and another one takes over the
 * same SQLite file. Every accepted message must end `sent` exactly once or `unknown` (it may
 * have gone out when the worker died): none lost, none sent twice, each person's order kept.
 * Counted on the emulator's record of what the Page really sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startMessengerWorld, textBody, waitFor, type MessengerWorld } from '../helpers/messenger.js';

const WORKER = fileURLToPath(new URL('../helpers/outbox-worker-process.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pk-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startWorker(w: MessengerWorld): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      PK_TEST_DATABASE: w.database,
      PK_TEST_KEYS: w.keys,
      PK_TEST_GRAPH_URL: w.emu.url,
      PK_TEST_APP_ID: w.emu.appId,
      PK_TEST_APP_SECRET: w.emu.appSecret,
      PK_TEST_LEASE_MS: '1000',
      PK_TEST_MAX_PER_SECOND: '60',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve(child);
    });
  });
}

describe('a worker process killed mid-delivery', () => {
  it('leaves every message sent exactly once or unknown, after another worker takes over', { timeout: 60_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'shared.db')}` });
    const people = [w.psid, await w.person(), await w.person(), await w.person(), await w.person()];
    const total = 150;
    const ids: string[] = [];
    for (let i = 0; i < total; i++) ids.push((await w.pk.messenger.enqueue(w.pageId, textBody(people[i % people.length]!, `c-${i}`))).id);
    // Slow answers keep sends in flight, so the kill lands mid-POST for some of them.
    await w.emu.control.addFault({ match: `${w.pageId}/messages`, kind: 'timeout', delayMs: 250, rate: 0.4 });

    const first = await startWorker(w);
    await waitFor(() => w.sent(), (s) => s.length >= 40, 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    await startWorker(w);
    const counts = await waitFor(() => w.pk.messenger.counts(), (c) => c.queued + c.sending + c.held === 0, 40_000);
    expect(counts.failed).toBe(0);
    expect(counts.sent + counts.unknown).toBe(total);
    // Late answers of the dead worker's requests land on the emulator after a while.
    await new Promise((r) => setTimeout(r, 400));

    const sent = await w.sent();
    const byText = new Map<string, number>();
    for (const s of sent) byText.set(s.message?.text ?? '', (byText.get(s.message?.text ?? '') ?? 0) + 1);
    const messages = await w.pk.messenger.list({ limit: total });
    expect(messages).toHaveLength(total);
    for (const [i, id] of ids.entries()) {
      const m = messages.find((x) => x.id === id)!;
      const delivered = byText.get(`c-${i}`) ?? 0;
      if (m.status === 'sent') {
        expect(delivered, `c-${i} sent`).toBe(1);
        expect(sent.find((s) => s.message?.text === `c-${i}`)?.messageId).toBe(m.messageId);
      } else {
        expect(m.status).toBe('unknown');
        expect(delivered, `c-${i} unknown`).toBeLessThanOrEqual(1);
      }
    }
    // Order per person among what went out.
    for (const psid of people) {
      const order = sent.filter((s) => s.recipientId === psid).map((s) => Number(s.message?.text?.slice(2)));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });
});
