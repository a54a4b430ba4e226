import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { parseKeys } from '../../src/store/crypto/parse-keys.js';
import { createStore } from '../../src/store/create-store.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64');

function failure(text: string | undefined) {
  try {
    parseKeys(text);
  } catch (e) {
    return e;
  }
  throw new Error('parseKeys accepted the input');
}

describe('PAGEKEEPER_KEYS', () => {
  it('accepts id:base64 pairs, the first one active', () => {
    const keyring = parseKeys(`new:${b64(32)}, old_1:${b64(32)}`);
    expect(keyring.activeKeyId).toBe('new');
    expect(keyring.keyIds).toEqual(['new', 'old_1']);
    expect(keyring.has('old_1')).toBe(true);
    expect(keyring.has('other')).toBe(false);
  });

  it('generates entries that parse', () => {
    const entry = generateKeyEntry('k7');
    expect(entry).toMatch(/^k7:[A-Za-z0-9+/]{43}=$/);
    expect(parseKeys(entry).activeKeyId).toBe('k7');
    expect(generateKeyEntry()).not.toBe(generateKeyEntry());
  });

  it.each([undefined, '', '   '])('refuses a missing key (%j) and says how to make one', (text) => {
    const e = failure(text);
    expect(isPageKeeperError(e, 'PK_KEYS_MISSING')).toBe(true);
    if (isPageKeeperError(e)) {
      expect(e.message).toMatch(/never stores tokens in plaintext/);
      expect(e.fix).toMatch(/pagekeeper init|openssl rand -base64 32/);
    }
  });

  const secret = b64(16);
  it.each([
    { text: secret, detail: /entry 1 has no "id:" prefix/ },
    { text: `k1:${secret}`, detail: /entry 1 \("k1"\) decodes to 16 bytes; it must be exactly 32/ },
    { text: `k1:${b64(32)},k2:${b64(33)}`, detail: /entry 2 \("k2"\) decodes to 33 bytes/ },
    { text: `k1:${b64(32)},k1:${b64(32)}`, detail: /entry 2 \("k1"\) repeats an id/ },
    { text: `k1:${b64(32)},`, detail: /entry 2 is empty/ },
    { text: `bad id:${b64(32)}`, detail: /entry 1 has an invalid id/ },
    { text: `k1:${b64(32).slice(0, -1)}!`, detail: /entry 1 \("k1"\) is not valid base64/ },
    { text: `${'x'.repeat(33)}:${b64(32)}`, detail: /entry 1 has an invalid id/ },
  ])('refuses $text naming the entry, never its key material', ({ text, detail }) => {
    const e = failure(text);
    expect(isPageKeeperError(e, 'PK_KEYS_INVALID')).toBe(true);
    if (!isPageKeeperError(e)) return;
    expect(e.message).toMatch(detail);
    expect(e.fix).toMatch(/openssl rand -base64 32/);
    const everything = `${e.message} ${e.fix} ${JSON.stringify(e)}`;
    for (const part of text.split(',')) {
      const material = part.split(':')[1];
      if (material && material.length > 4) expect(everything).not.toContain(material);
    }
    expect(everything).not.toContain(secret);
  });

  it('fails before the database is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-keys-'));
    try {
      await expect(createStore({ database: `sqlite:${join(dir, 'sub', 'x.db')}`, keys: '' })).rejects.toMatchObject({ code: 'PK_KEYS_MISSING' });
      expect(existsSync(join(dir, 'sub'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
