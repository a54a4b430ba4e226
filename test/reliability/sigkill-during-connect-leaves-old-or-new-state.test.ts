/**
 * `pagekeeper connect` killed with SIGKILL at any point (during the Graph calls,
 * just after the last one, while it writes) leaves the store holding either the state before
 * it or the state after it, never a mix; the next connect works without any manual step.
 *
 * The kill is aimed from inside the emulator: a hook sees each Graph answer leave, and once the
 * connect's last call is answered the command is verifying and writing; kills follow at several
 * short delays after that (and one half-way through the Graph calls).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { buildEmulatorServer, parseSeed } from '../../src/emulator/index.js';
import { createStore } from '../../src/store/create-store.js';
import { spawnCli, runCliProcess } from '../helpers/cli-process.js';
import { killWhileWriting } from '../helpers/kill-mid-write.js';
import { newKey } from '../tokens/setup.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const PAGES = SOAK ? 600 : 150;
const REMOVED = 20;
/**
 * When to kill: after a share of the Graph calls was answered, or a share of the time the
 * reference run took from its last Graph answer to its exit (verifying, writing, closing), so
 * the kills spread over the write phase on fast and slow machines alike.
 */
const KILL_POINTS: ({ writeShare: number } | { graphShare: number })[] = SOAK
  ? [{ graphShare: 0.5 }, ...[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].map((writeShare) => ({ writeShare }))]
  : [{ graphShare: 0.5 }, { writeShare: 0 }, { writeShare: 0.4 }, { writeShare: 0.65 }, { writeShare: 0.9 }];

interface Snapshot {
  /** Distinct check times of this user's tokens: one connect wrote them all, so exactly one. */
  checkTimes: number[];
  tokens: number;
  connects: number;
}

function snapshot(dbFile: string, userId: string): Snapshot {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const times = db.prepare('SELECT DISTINCT last_checked_at AS t FROM page_tokens WHERE user_id = ? ORDER BY t').all(userId) as { t: number }[];
    const tokens = (db.prepare('SELECT COUNT(*) AS n FROM page_tokens WHERE user_id = ?').get(userId) as { n: number }).n;
    const connects = (db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'user_connected' AND user_id = ?").get(userId) as { n: number }).n;
    return { checkTimes: times.map((r) => r.t), tokens, connects };
  } finally {
    db.close();
  }
}

it('a connect killed at any point leaves the old state or the new one, and the next connect works', async () => {
  const server = buildEmulatorServer({ seed: parseSeed({ users: [{ name: 'Big Shop Owner', pages: Array.from({ length: PAGES }, (_, i) => ({ name: `Shop ${i + 1}` })) }] }) });
  let graphAnswers = 0;
  let lastGraphAnswerAt = 0;
  let onGraphAnswer: ((n: number) => void) | undefined;
  server.app.addHook('onResponse', async (request) => {
    if (request.url.startsWith('/_emulator')) return;
    graphAnswers++;
    lastGraphAnswerAt = performance.now();
    onGraphAnswer?.(graphAnswers);
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  onTestFinished(() => server.app.close());
  const url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const control = async (method: 'GET' | 'POST' | 'PUT', path: string, payload?: object) => {
    const res = await server.app.inject({ method, url: `/_emulator/${path}`, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`control ${path}: ${res.body}`);
    return res.json() as { data: { id: string; pages: { id: string }[] }[] };
  };
  await control('PUT', 'limits', { enabled: false });
  const { userId, token } = server.seeded[0]!;
  const pageIds = (await control('GET', 'users')).data.find((u) => u.id === userId)!.pages.map((p) => p.id);
  const dir = mkdtempSync(join(tmpdir(), 'pk-connect-kill-'));
  const dbFile = join(dir, 'pk.db');
  const env = {
    PAGEKEEPER_APP_ID: server.state.app.id,
    PAGEKEEPER_APP_SECRET: server.state.app.secret,
    PAGEKEEPER_KEYS: newKey(),
    PAGEKEEPER_DATABASE: `sqlite:${dbFile}`,
    PAGEKEEPER_GRAPH_URL: url,
    PAGEKEEPER_DIALOG_URL: url,
  };
  const connectOnce = () => runCliProcess(['connect', '--json'], { cwd: dir, env, input: `${token}\n`, timeoutMs: 60_000 });

  // The old state: every page connected once. Its call count aims the kills below.
  graphAnswers = 0;
  const first = await connectOnce();
  expect(first.code, first.stderr).toBe(0);
  const graphCalls = graphAnswers;
  const writePhaseMs = performance.now() - lastGraphAnswerAt;
  const old = snapshot(dbFile, userId);
  expect(old).toMatchObject({ tokens: PAGES, connects: 1 });
  expect(old.checkTimes).toHaveLength(1);

  // The new state differs: the person lost their role on some pages.
  for (const pageId of pageIds.slice(0, REMOVED)) await control('POST', `users/${userId}/events`, { type: 'page_role_removed', pageId });

  let completed = 1;
  const outcomes: string[] = [];
  for (const point of KILL_POINTS) {
    graphAnswers = 0;
    const run = spawnCli(['connect', '--json'], { cwd: dir, env, input: `${token}\n`, timeoutMs: 60_000 });
    const target = 'graphShare' in point ? Math.max(1, Math.floor(graphCalls * point.graphShare)) : graphCalls;
    onGraphAnswer = (n) => {
      if (n !== target) return;
      const delay = 'writeShare' in point ? Math.round(point.writeShare * writePhaseMs) : 0;
      if (delay === 0) run.child.kill('SIGKILL');
      else setTimeout(() => run.child.kill('SIGKILL'), delay);
    };
    const r = await run.done;
    if (r.code === 0) completed++;
    onGraphAnswer = undefined;

    const now = snapshot(dbFile, userId);
    expect(now.checkTimes, `kill at ${JSON.stringify(point)}: tokens written by more than one connect`).toHaveLength(1);
    const isOld = now.checkTimes[0] === old.checkTimes[0];
    outcomes.push(`${JSON.stringify(point)}: ${r.signal ?? `exit ${r.code}`}, ${isOld ? 'old' : 'new'} state`);
    if (isOld) expect(now, `kill at ${JSON.stringify(point)}`).toMatchObject({ tokens: PAGES, connects: 1 });
    else expect(now, `kill at ${JSON.stringify(point)}`).toMatchObject({ tokens: PAGES - REMOVED });
    // Whichever state it is, every token in it decrypts (the user's and each page's).
    const store = await createStore({ database: env.PAGEKEEPER_DATABASE, keys: env.PAGEKEEPER_KEYS });
    try {
      expect((await store.users.getWithToken(userId))?.token).toMatch(/^EAA/);
      const tokens = (await store.pageTokens.listAllWithTokens()).filter((t) => t.userId === userId);
      expect(tokens).toHaveLength(now.tokens);
      for (const t of tokens) expect(t.token).toMatch(/^EAA/);
    } finally {
      await store.close();
    }
    // Connects recorded = connects whose writes are there: the audit line is part of the same transaction.
    expect(now.connects).toBeGreaterThanOrEqual(completed);
  }

  // The kills above are aimed by time and may all miss the write. These are aimed by the
  // database: once the last Graph answer is out, the command is frozen and probed until it holds
  // SQLite's write lock, then killed; the checks above must hold for a kill that surely landed
  // inside a write transaction.
  let midWrite = 0;
  for (const nth of [1, 3, 8]) {
    graphAnswers = 0;
    const run = spawnCli(['connect', '--json'], { cwd: dir, env, input: `${token}\n`, timeoutMs: 60_000 });
    let exited = false;
    void run.done.then(() => (exited = true));
    const aimed = new Promise<boolean>((resolve) => {
      onGraphAnswer = (n) => {
        if (n === graphCalls) resolve(killWhileWriting(run.child, dbFile, () => exited, { nth }));
      };
      void run.done.then(() => resolve(false));
    });
    const landed = await aimed;
    const r = await run.done;
    onGraphAnswer = undefined;
    if (r.code === 0) completed++;
    if (landed) midWrite++;
    const now = snapshot(dbFile, userId);
    outcomes.push(`mid-write at lock sample ${nth}: ${landed ? 'landed' : 'missed'}, ${r.signal ?? `exit ${r.code}`}`);
    expect(now.checkTimes, `mid-write kill ${nth}: tokens written by more than one connect`).toHaveLength(1);
    expect([PAGES, PAGES - REMOVED], `mid-write kill ${nth}`).toContain(now.tokens);
    expect(now.connects).toBeGreaterThanOrEqual(completed);
  }
  expect(midWrite, `kills that landed inside a write: ${outcomes.join('; ')}`).toBeGreaterThanOrEqual(1);

  // Restart: a plain connect finishes the job, no repair step.
  const last = await connectOnce();
  expect(last.code, last.stderr).toBe(0);
  expect(JSON.parse(last.stdout).pages).toHaveLength(PAGES - REMOVED);
  const after = snapshot(dbFile, userId);
  expect(after.tokens).toBe(PAGES - REMOVED);
  expect(after.checkTimes).toHaveLength(1);
}, 150_000);
