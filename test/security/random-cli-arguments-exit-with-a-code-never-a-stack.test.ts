/**
 * The CLI given random arguments (unknown commands and options, unicode, SQL
 * metacharacters, huge values, negative numbers) exits 0, 1 or 2 with one coded line, never a
 * stack trace, never a hang, and never prints the configured secrets. Commands that wait for a
 * person or run forever (serve, emulator, demo, connect --browser) are left out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const RUNS = SOAK ? 150 : 24;
const CONCURRENCY = 4;

const word = fc.oneof(
  fc.constantFrom('init', 'connect', 'pages', 'token', 'check', 'keys', 'rotate', 'doctor', 'api-keys', 'create', 'list', 'revoke', 'help'),
  fc.constantFrom('--json', '--batch-size', '--name', '--scopes', '--port', '--no-open', '--help', '-h', '--', '-', '--x', '--json=1'),
  fc.constantFrom("1'; DROP TABLE pages; --", '../../etc/passwd', '%s%s%n', '-1', '0', '1e309', 'NaN', '99999999999999999999999', '\u202e\u0301\ud83d\ude00', 'pages:read,*'),
  fc.string({ maxLength: 20 }),
  fc.nat({ max: 4000 }).map((n) => 'x'.repeat(n)),
);
const argvArb = fc
  .array(word, { minLength: 1, maxLength: 5 })
  .map((a) => a.map((s) => s.replace(/\0/g, '')))
  .filter((a) => !['serve', 'emulator', 'demo'].includes(a[0]!) && !a.includes('--browser'));

it(`${RUNS} random command lines each end with exit 0, 1 or 2 and one coded message`, async () => {
  const secret = randomBytes(16).toString('hex');
  const key = randomBytes(32).toString('base64');
  const cwd = mkdtempSync(join(tmpdir(), 'pk-argv-'));
  const env = {
    PAGEKEEPER_APP_ID: '123456789012345',
    PAGEKEEPER_APP_SECRET: secret,
    PAGEKEEPER_KEYS: `k1:${key}`,
    PAGEKEEPER_DATABASE: `sqlite:${join(cwd, 'pk.db')}`,
    // A closed port: commands that call Graph fail fast with PK_GRAPH_UNREACHABLE.
    PAGEKEEPER_GRAPH_URL: 'http://127.0.0.1:9',
  };
  const argvs = fc.sample(argvArb, { numRuns: RUNS, seed: SOAK ? Date.now() : 20261126 });
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < argvs.length; i = next++) {
      const argv = argvs[i]!;
      const r = await runCliProcess(argv, { cwd, env, timeoutMs: 45_000 });
      const out = `${r.stdout}\n${r.stderr}`;
      const shown = JSON.stringify(argv).slice(0, 200);
      if (r.timedOut) problems.push(`${shown}: hung`);
      else if (![0, 1, 2].includes(r.code ?? -1)) problems.push(`${shown}: exit ${r.code} ${r.signal ?? ''}`);
      if (/^\s+at .+:\d+:\d+\)?$/m.test(out)) problems.push(`${shown}: stack trace\n${out.slice(0, 500)}`);
      // A coded line, commander's own "error: ..." for usage mistakes, or the usage text (`help <x>`).
      if (r.code !== 0 && !/(^error PK_[A-Z_]+: )|(^error: )|(^Usage: pagekeeper)/m.test(r.stderr)) problems.push(`${shown}: exit ${r.code} without a coded message\n${r.stderr.slice(0, 300)}`);
      if (out.includes(secret) || out.includes(key)) problems.push(`${shown}: printed a configured secret`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(problems).toEqual([]);
}, 240_000);
