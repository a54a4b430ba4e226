import { startBenchEmulator } from '../bench/lib/emulator-process.js';
import { createPageKeeper } from '../src/pagekeeper.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const emu = await startBenchEmulator('child-process');
await emu.control('PUT', '/_emulator/limits', { enabled: false });
const dir = mkdtempSync(join(tmpdir(), 'diag-'));
const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, graphUrl: emu.url, database: `sqlite:${join(dir, 'd.db')}`, keys: `k1:${randomBytes(32).toString('base64')}`, messenger: { maxPerSecond: 100 } });
const user = await emu.control<any>('POST', '/_emulator/users', { name: 'D', pages: Array.from({ length: 10 }, (_, i) => ({ name: `p${i}` })) });
const tok = await emu.control<any>('POST', `/_emulator/users/${user.id}/short-lived-token`, {});
await pk.connect(tok.accessToken);
const people = new Map<string, string[]>();
for (const p of user.pages) { const l: string[] = []; for (let i = 0; i < 50; i++) { const { psid } = await emu.control<any>('POST', `/_emulator/pages/${p.id}/inbound`, { text: 'hi' }); await pk.messenger.recordInbound(p.id, psid, Date.now()); l.push(psid); } people.set(p.id, l); }
const w = pk.messenger.startWorker();
await emu.control('PUT', '/_emulator/latency', { ms: 200 });
const rate = 500, n = rate * 3;
const enq = new Map<string, number>();
const t0 = performance.now(); const wall0 = Date.now();
const iv = setInterval(async () => { console.log(((performance.now()-t0)/1000).toFixed(1), 'claimed', w.inFlight, 'posts', w.posts.inFlight, 'limit', w.posts.limit, 'lat', w.posts.latencyMs.toFixed(0)); }, 500);
for (let i = 0; i < n; i++) {
  const due = (i / rate) * 1000 - (performance.now() - t0);
  if (due > 1) await new Promise((r) => setTimeout(r, due));
  const p = user.pages[i % 10]!; const text = `w${i}`;
  await pk.messenger.enqueue(p.id, { recipient: { id: people.get(p.id)![Math.floor(i / 10) % 50]! }, messaging_type: 'RESPONSE', message: { text } });
  enq.set(text, wall0 + performance.now() - t0);
}
console.log('enqueue done', ((performance.now() - t0)/1000).toFixed(2));
await w.idle();
clearInterval(iv);
const d: number[] = [];
for (const p of user.pages) for (const m of (await emu.control<any>('GET', `/_emulator/pages/${p.id}/messages`)).data) { const t = enq.get(m.message.text); if (t !== undefined) d.push(Date.parse(m.at) - t); }
d.sort((a, b) => a - b);
console.log('n', d.length, 'p50', d[Math.floor(d.length/2)]!.toFixed(0), 'p90', d[Math.floor(d.length*0.9)]!.toFixed(0), 'p99', d[Math.floor(d.length*0.99)]!.toFixed(0), 'max', d[d.length-1]!.toFixed(0));
await w.stop(); await pk.close(); await emu.close();
