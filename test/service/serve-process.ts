/**
 * `pagekeeper serve --emulator --dev --port 0 --json` as a real process, for tests that need
 * the whole thing: workers, signals, the emulator's webhooks coming back to the service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { spawnCli, type CliRun } from '../helpers/cli-process.js';

export interface ServeProcess {
  url: string;
  emulatorUrl: string;
  /** The playground's API key (every scope). */
  apiKey: string;
  cwd: string;
  run: CliRun;
  /**
   * Sends SIGTERM and resolves with how the process ended. serve promises to exit within 10 s;
   * past that it is killed (SIGKILL), which the caller sees as `signal: 'SIGKILL'`.
   */
  terminate(): CliRun['done'];
}

/** The hard stop: serve must be gone well before this after SIGTERM (it promises 10 s). */
const HARD_STOP_MS = 90_000;
/** On SIGTERM, exit 0 within 10 s. */
const SHUTDOWN_PROMISE_MS = 10_000;

export async function startServeProcess(env: Record<string, string> = {}): Promise<ServeProcess> {
  const cwd = mkdtempSync(join(tmpdir(), 'pk-serve-'));
  const run = spawnCli(['serve', '--emulator', '--dev', '--port', '0', '--json'], { cwd, env: { PAGEKEEPER_LOG_LEVEL: 'warn', ...env }, timeoutMs: HARD_STOP_MS });
  onTestFinished(async () => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await run.done;
    rmSync(cwd, { recursive: true, force: true });
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        run.child.stdout.off('data', onData);
        resolve(out.split('\n')[0]!);
      }
    };
    run.child.stdout.on('data', onData);
    void run.done.then((r) => reject(new Error(`serve exited before listening (${r.code}): ${r.stderr.slice(-2000)}`)));
  });
  const ready = JSON.parse(line) as { url: string; emulatorUrl: string; apiKey: string };
  return {
    ...ready,
    cwd,
    run,
    async terminate() {
      run.child.kill('SIGTERM');
      const killer = setTimeout(() => run.child.kill('SIGKILL'), SHUTDOWN_PROMISE_MS);
      try {
        return await run.done;
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** Clicks through /connect and the emulator's consent page over plain HTTP; returns the callback page. */
export async function connectOverHttp(base: string): Promise<string> {
  const start = await fetch(`${base}/connect`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
  const dialog = await fetch(start.headers.get('location')!);
  const html = await dialog.text();
  const unescape = (s: string) => s.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1]!, unescape(m[2]!));
  for (const m of html.matchAll(/name="page" value="([^"]+)"/g)) form.append('page', m[1]!);
  form.append('action', 'continue');
  const confirmUrl = new URL(unescape(/<form method="post" action="([^"]+)"/.exec(html)![1]!), dialog.url);
  const back = await fetch(confirmUrl, { method: 'POST', body: form, redirect: 'manual' });
  expect(back.status).toBe(302);
  const done = await fetch(back.headers.get('location')!, { headers: { cookie } });
  expect(done.status).toBe(200);
  return done.text();
}

/** Polls `fn` until it returns a value (not undefined); bounded so a test cannot hang. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, tries = 200, everyMs = 50): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
