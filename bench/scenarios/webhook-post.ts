/**
 * `POST /webhooks/messenger` with X-Hub-Signature-256 verification sustains >= 5,000
 * events/s.
 *
 * The service runs in a child process (bench/lib/service-child.ts over
 * bench/lib/bench-service.ts, request logging off) on a SQLite FILE database, as `serve` runs.
 * autocannon posts 100 bodies in turn, each a one-event messaging body from a different sender
 * with its own mid and text, each signed with the app secret over its exact bytes
 * (`sha256=<hex>`). Every answer must be 200: a 401/403 (signature refused) or 400 fails the
 * run. One body is one event, so requests/s = events/s. After the runs every body is posted once
 * more, one at a time (autocannon walks the list from its start on every connection, so a slow
 * run may not reach its end), and the file must then hold a conversation row for every one of
 * the 100 senders: the events were written, not only answered.
 */
import Database from 'better-sqlite3';
import { request } from 'undici';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareLoads, requestsPerSecond } from '../lib/autocannon-run.js';
import { startChildServer } from '../lib/child-process.js';
import { plan } from '../lib/plan.js';
import { limitRow } from '../lib/rows.js';
import type { Scenario } from '../lib/types.js';

const CONNECTIONS = 50;
/** Distinct senders, one signed body each. */
const SENDERS = 100;
const MIN_EVENTS_PER_S = 5_000;
const ROW = { name: 'POST /webhooks/messenger (signed)', unit: 'events/s', yardstick: 'target', target: '>= 5,000 events/s' };

export const scenario: Scenario = {
  id: 'webhook-post',
  subject: 'service',
  rows: [ROW],
  run: async (ctx) => {
    const durationS = ctx.options.quick ? 3 : 5;
    const dir = mkdtempSync(join(tmpdir(), 'pk-bench-webhook-'));
    const file = join(dir, 'service.db');
    const service = await startChildServer<{ webhookPath: string; pageId: string; webhooks: Array<{ body: string; signature: string }> }>('bench/lib/service-child.ts', [
      '--mode',
      'service',
      '--pages',
      '10',
      '--bodies',
      String(SENDERS),
      '--database',
      `sqlite:${file}`,
    ]);
    let stopped = false;
    try {
      const { url, webhookPath, webhooks } = service.ready;
      const requests = webhooks.map((w) => ({ method: 'POST' as const, path: webhookPath, headers: { 'content-type': 'application/json', 'x-hub-signature-256': w.signature }, body: w.body }));
      const p = plan(ctx, { warmups: 1, repeats: 3 }, { warmups: 1, repeats: 1 });
      const results = await compareLoads([{ name: 'signed webhook', load: (s) => requestsPerSecond({ url, requests, connections: CONNECTIONS, durationS: s }) }], { ...p, durationS, warmupS: 2, log: ctx.log });
      // Every sender once more, one at a time (untimed): on a slow machine the timed runs may not
      // reach the end of the list, and every sender must then be in the file.
      for (const r of requests) {
        const res = await request(`${url}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode} to a signed body`);
      }
      await service.stop();
      stopped = true;
      const db = new Database(file, { readonly: true });
      let written: number;
      try {
        written = Number((db.prepare('select count(*) as n from conversations where page_id = ?').get(service.ready.pageId) as { n: number }).n);
      } finally {
        db.close();
      }
      ctx.log(`  conversations written: ${written} of ${webhooks.length} senders`);
      const row = limitRow({
        ...ROW,
        value: results.get('signed webhook')!,
        kind: 'min',
        limit: MIN_EVENTS_PER_S,
        note: `autocannon, ${CONNECTIONS} keep-alive connections, ${durationS} s per run, ${webhooks.length} distinct senders' signed one-event bodies in turn, SQLite file database; every answer 200; ${written} of ${webhooks.length} senders' conversations written (after one more untimed post of each)`,
      });
      return [{ ...row, pass: row.pass && written === webhooks.length }];
    } finally {
      if (!stopped) await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
