/**
 * Configuration is untrusted text. Any environment, any .env file and any
 * PAGEKEEPER_KEYS value ends in a configuration or in one coded PageKeeperError whose message
 * names the setting but never repeats its value (values may be secrets).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { PageKeeperError } from '../../src/errors.js';
import { parseKeys } from '../../src/store/crypto/parse-keys.js';

const SOAK = process.env.PAGEKEEPER_SOAK === '1';
const NAMES = [
  'PAGEKEEPER_APP_ID',
  'PAGEKEEPER_APP_SECRET',
  'PAGEKEEPER_KEYS',
  'PAGEKEEPER_DATABASE',
  'PAGEKEEPER_GRAPH_URL',
  'PAGEKEEPER_DIALOG_URL',
  'PAGEKEEPER_GRAPH_VERSION',
  'PAGEKEEPER_PUBLIC_URL',
  'PAGEKEEPER_VERIFY_TOKEN',
  'PAGEKEEPER_ADMIN_KEY',
  'PAGEKEEPER_FORWARD_URL',
  'PAGEKEEPER_NOTIFY_WEBHOOK_URL',
  'PAGEKEEPER_NOTIFY_WEBHOOK_SECRET',
  'PAGEKEEPER_TRUST_PROXY',
  'PAGEKEEPER_METRICS_KEY',
  'PAGEKEEPER_FORWARD_SECRET',
];

/** Hostile text that carries a marker, so an echo of it can be recognised in a message. */
const marked = fc.tuple(
  fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom("'; DROP TABLE users; --", 'http://user:pa55@host', 'https://x', 'v25.0', '12345', '\u202e\u0000', 'k1:AAAA')),
  fc.stringMatching(/^[a-f0-9]{8}$/),
).map(([text, id]) => `${text}MARK${id}`.replace(/\0/g, ''));

function expectCodedWithoutEcho(e: unknown, values: string[], codes: string[]) {
  expect(e).toBeInstanceOf(PageKeeperError);
  const pk = e as PageKeeperError;
  expect(codes).toContain(pk.code);
  const said = `${pk.message} ${pk.fix ?? ''} ${JSON.stringify(pk.toJSON())}`;
  for (const v of values) {
    const mark = v.slice(v.indexOf('MARK'));
    expect(said).not.toContain(mark);
  }
}

describe('loadConfig', () => {
  it('answers a configuration or PK_CONFIG_INVALID naming the variable, never its value', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pk-config-'));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...NAMES), marked, { minKeys: 1 }), (env) => {
        try {
          loadConfig({ cwd, env });
        } catch (e) {
          expectCodedWithoutEcho(e, Object.values(env), ['PK_CONFIG_INVALID']);
        }
      }),
      { numRuns: SOAK ? 5000 : 300 },
    );
  });

  it('reads any .env file without crashing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.tuple(fc.constantFrom(...NAMES), marked).map(([k, v]) => `${k}=${v}`), fc.constant('PAGEKEEPER_APP_ID="unterminated')), { maxLength: 8 }), (lines) => {
        const cwd = mkdtempSync(join(tmpdir(), 'pk-dotenv-'));
        writeFileSync(join(cwd, '.env'), lines.join('\n'));
        try {
          loadConfig({ cwd, env: {} });
        } catch (e) {
          expectCodedWithoutEcho(e, lines.filter((l) => l.includes('MARK')), ['PK_CONFIG_INVALID']);
        }
      }),
      { numRuns: SOAK ? 500 : 40 },
    );
  });
});

describe('PAGEKEEPER_KEYS', () => {
  const material = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64')),
    fc.string(),
    fc.constant('not base64!'),
  );
  const entry = fc.tuple(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.string()), material).map(([id, m]) => `${id}:${m}`);
  it('parses into a keyring or fails with PK_KEYS_MISSING / PK_KEYS_INVALID, never echoing key material', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(entry, fc.string()), { maxLength: 4 }), (entries) => {
        const text = entries.join(',');
        try {
          const ring = parseKeys(text);
          expect(ring.activeKeyId).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
        } catch (e) {
          expect(e).toBeInstanceOf(PageKeeperError);
          const pk = e as PageKeeperError;
          expect(['PK_KEYS_MISSING', 'PK_KEYS_INVALID']).toContain(pk.code);
          for (const en of entries) {
            const m = en.slice(en.indexOf(':') + 1);
            if (m.length >= 12) expect(pk.message).not.toContain(m);
          }
        }
      }),
      { numRuns: SOAK ? 5000 : 500 },
    );
  });
});
