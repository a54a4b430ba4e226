/**
 * `pagekeeper serve` logs readable lines to a person at a terminal and JSON lines to machines
 * (piped, --json, PAGEKEEPER_LOG_FORMAT=json); secrets are masked the same in both.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createServiceLogger } from '../../src/service/server/create-service-logger.js';
import { chooseLogFormat, formatLogLine } from '../../src/service/server/log-format.js';
import { cliCommand } from '../helpers/cli-command.js';
import { spawnCli } from '../helpers/cli-process.js';

describe('the log format', () => {
  it.each([
    // [--json, PAGEKEEPER_LOG_FORMAT, stderr is a terminal, format]
    [false, undefined, true, 'pretty'],
    [false, undefined, false, 'json'],
    [true, undefined, true, 'json'],
    [false, 'json', true, 'json'],
    [false, 'JSON', true, 'json'],
    [false, 'pretty', false, 'pretty'],
    [true, 'pretty', true, 'json'],
    [false, '', true, 'pretty'],
    [false, 'yaml', true, 'invalid'],
  ] as const)('--json %s, PAGEKEEPER_LOG_FORMAT=%s, terminal %s: %s', (json, envFormat, isTTY, expected) => {
    expect(chooseLogFormat({ json, envFormat, isTTY })).toBe(expected);
  });

  it('a readable line has the time, level, message, request, status and the other fields', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), pid: 1, hostname: 'h', reqId: 'req-7', req: { method: 'GET', url: '/v1/pages' }, res: { statusCode: 200 }, responseTime: 3.14159, msg: 'request completed', pageId: '123' });
    expect(formatLogLine(line)).toBe('03:04:05.678 INFO  request completed GET /v1/pages -> 200 (3.1 ms) pageId=123 req=req-7\n');
    const warn = JSON.stringify({ level: 40, time: 0, msg: 'outbox late', err: { message: 'disk full', stack: 'Error: disk full\n    at x' } });
    expect(formatLogLine(warn)).toBe('00:00:00.000 WARN  outbox late err="disk full"\n    Error: disk full\n        at x\n');
    expect(formatLogLine('not json')).toBe('not json\n');
    // Fastify's completed line has only the status: the stream remembers the request by its id.
    const requests = new Map<string, string>();
    const id = '088d82ba-425f-44d0-9294-4869adbb66dc';
    expect(formatLogLine(JSON.stringify({ level: 30, time: 0, reqId: id, req: { method: 'POST', url: '/v1/x' }, msg: 'incoming request' }), { requests })).toBe('00:00:00.000 INFO  incoming request POST /v1/x req=088d82ba\n');
    expect(formatLogLine(JSON.stringify({ level: 30, time: 0, reqId: id, res: { statusCode: 201 }, responseTime: 2, msg: 'request completed' }), { requests })).toBe('00:00:00.000 INFO  request completed POST /v1/x -> 201 (2.0 ms) req=088d82ba\n');
    expect(requests.size).toBe(0);
  });

  it.each(['json', 'pretty'] as const)('masks secrets in %s lines', (format) => {
    let out = '';
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const logger = createServiceLogger({ format, destination: destination as never });
    logger.info({ req: { method: 'GET', url: '/oauth/callback?code=AQDsecretcode&state=statesecret' }, access_token: 'EAAsecrettoken', nested: { token: 'EAAnestedtoken', key: 'pk_live_key' }, adminKey: 'adminsecret' }, 'callback');
    logger.info({ headers: { authorization: 'Bearer pk_bearer', cookie: 'pk_admin=cookiesecret' } }, 'headers');
    for (const secret of ['AQDsecretcode', 'statesecret', 'EAAsecrettoken', 'EAAnestedtoken', 'pk_live_key', 'adminsecret', 'pk_bearer', 'cookiesecret']) expect(out).not.toContain(secret);
    expect(out).toContain('code=***');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    if (format === 'json') for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    else {
      expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}callback GET \/oauth\/callback\?code=\*\*\*&state=\*\*\* /);
      expect(lines[0]).toContain('access_token=***');
      for (const l of lines) expect(l.startsWith('{')).toBe(false);
    }
  });
});

/** Starts serve without --json, waits for its ready line, requests /healthz, stops it; returns stderr. */
async function serveOnce(env: Record<string, string>): Promise<{ stderr: string; code: number | null }> {
  const cwd = mkdtempSync(join(tmpdir(), 'pk-logs-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  const run = spawnCli(['serve', '--emulator', '--dev', '--port', '0'], { cwd, env: { PAGEKEEPER_LOG_LEVEL: 'info', ...env }, timeoutMs: 60_000 });
  onTestFinished(() => void (run.child.exitCode === null && run.child.kill('SIGKILL')));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    run.child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void run.done.then((r) => reject(new Error(`serve exited (${r.code}): ${r.stderr.slice(-2000)}`)));
  });
  expect((await fetch(`${url}/healthz?access_token=EAAnotlogged`)).status).toBe(200);
  run.child.kill('SIGTERM');
  const end = await run.done;
  return { stderr: end.stderr, code: end.code };
}

describe('pagekeeper serve', () => {
  it('piped, logs JSON lines', async () => {
    const { stderr, code } = await serveOnce({});
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect((JSON.parse(l) as { level: number }).level).toBeGreaterThan(0);
    expect(stderr).toContain('/healthz?access_token=***');
    expect(stderr).not.toContain('EAAnotlogged');
  }, 90_000);

  it('with PAGEKEEPER_LOG_FORMAT=pretty, logs readable lines even when piped', async () => {
    const { stderr, code } = await serveOnce({ PAGEKEEPER_LOG_FORMAT: 'pretty' });
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n');
    for (const l of lines) expect(l.startsWith('{')).toBe(false);
    expect(stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request completed GET \/healthz\?access_token=\*\*\* -> 200 \(\d+\.\d ms\)/m);
    expect(stderr).toMatch(/INFO {2}shutting down/);
    expect(stderr).not.toContain('EAAnotlogged');
  }, 90_000);

  it('refuses an unknown PAGEKEEPER_LOG_FORMAT with a code and what to set', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pk-logs-'));
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const end = await spawnCli(['serve', '--emulator', '--dev', '--port', '0'], { cwd, env: { PAGEKEEPER_LOG_FORMAT: 'yaml' }, timeoutMs: 60_000 }).done;
    expect(end.code).not.toBe(0);
    expect(end.stderr).toContain('PK_USAGE');
    expect(end.stderr).toContain('PAGEKEEPER_LOG_FORMAT must be json or pretty, got "yaml"');
  }, 90_000);

  // util-linux `script` gives serve a real terminal for stderr.
  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, logs readable lines without being asked', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pk-logs-'));
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const quoted = [...cliCommand(), 'serve', '--emulator', '--dev', '--port', '0'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('/usr/bin/script', ['-qfec', quoted, '/dev/null'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', PAGEKEEPER_LOG_LEVEL: 'info', TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 60_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(/INFO {2}request completed GET \/healthz -> 200/);
    expect(out).not.toMatch(/^\{"level"/m);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }, 90_000);
});
