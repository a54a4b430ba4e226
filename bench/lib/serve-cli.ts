/**
 * `pagekeeper serve` exactly as a user runs it: the built CLI (`node dist/cli/main.js serve`,
 * no tsx), configured by PAGEKEEPER_* env. Its ready line is the first JSON line on stdout with
 * `url`; its logs are JSON lines on stderr, which `waitForLog` watches. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { ROOT } from './emulator-process.js';
import { NotAvailable } from './not-available.js';

export interface ServeCli {
  url: string;
  pid: number;
  /** Resolves with the first log line whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startServeCli(env: Record<string, string>, preload?: string, timeoutMs = 60_000): Promise<ServeCli> {
  const main = `${ROOT}dist/cli/main.js`;
  if (!existsSync(main)) throw new NotAvailable('dist/cli/main.js (run `npm run build` first)');
  const args = [...(preload ? ['--import', pathToFileURL(`${ROOT}${preload}`).href] : []), main, 'serve', '--port', '0'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  let errTail = '';
  let errBuffer = '';
  child.stderr.on('data', (d: Buffer) => {
    errBuffer += d.toString();
    errTail = (errTail + d.toString()).slice(-4000);
    let nl: number;
    while ((nl = errBuffer.indexOf('\n')) >= 0) {
      const line = errBuffer.slice(0, nl);
      errBuffer = errBuffer.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
        for (const l of listeners) l();
      } catch {
        // not a JSON log line
      }
    }
  });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve did not listen within ${timeoutMs} ms: ${errTail}`)), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        try {
          const j = JSON.parse(line) as { url?: string };
          if (typeof j.url === 'string') {
            clearTimeout(t);
            resolve(j.url);
          }
        } catch {
          // not the ready line
        }
      }
    });
    void exited.then(() => reject(new Error(`serve exited before listening: ${errTail}`)));
  });
  return {
    url,
    pid: child.pid!,
    waitForLog: (msg, ms) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find((l) => l.msg === msg);
          if (!hit) return false;
          listeners.delete(check);
          clearTimeout(t);
          resolve(hit);
          return true;
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`serve logged no "${msg}" within ${ms} ms: ${errTail}`));
        }, ms);
        if (!check()) listeners.add(check);
      }),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
