import { describe, expect, it } from 'vitest';
import { isPageKeeperError } from '../../src/errors.js';
import { pageTokenAad, userTokenAad } from '../../src/store/crypto/aad.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { parseKeys } from '../../src/store/crypto/parse-keys.js';

const TOKEN = 'EAAGm0PX4ZCpsBAPageTokenNeverExpires';

function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('token encryption', () => {
  const keyring = parseKeys(generateKeyEntry('k1'));
  const aad = pageTokenAad('1001', '42');

  it('round-trips a token under the active key', () => {
    const { ciphertext, keyId } = keyring.encrypt(TOKEN, aad);
    expect(keyId).toBe('k1');
    expect(ciphertext).not.toContain(TOKEN);
    expect(keyring.decrypt(ciphertext, keyId, aad)).toBe(TOKEN);
  });

  it('uses a fresh IV every time: the same token encrypts differently', () => {
    const a = keyring.encrypt(TOKEN, aad).ciphertext;
    const b = keyring.encrypt(TOKEN, aad).ciphertext;
    expect(a).not.toBe(b);
    // version byte, 12-byte IV, 16-byte tag, then the ciphertext (same length as the plaintext)
    expect(Buffer.from(a, 'base64').length).toBe(1 + 12 + 16 + Buffer.byteLength(TOKEN));
    expect(Buffer.from(a, 'base64').subarray(1, 13)).not.toEqual(Buffer.from(b, 'base64').subarray(1, 13));
  });

  it('refuses a tampered ciphertext', () => {
    const { ciphertext, keyId } = keyring.encrypt(TOKEN, aad);
    const bytes = Buffer.from(ciphertext, 'base64');
    bytes[bytes.length - 1]! ^= 0x01;
    const e = thrown(() => keyring.decrypt(bytes.toString('base64'), keyId, aad));
    expect(isPageKeeperError(e, 'PK_DECRYPT_FAILED')).toBe(true);
    expect((e as Error).message).toMatch(/altered, moved to another row, or the key "k1" is wrong/);
  });

  it('refuses a truncated ciphertext', () => {
    const e = thrown(() => keyring.decrypt('AQID', 'k1', aad));
    expect(isPageKeeperError(e, 'PK_DECRYPT_FAILED')).toBe(true);
  });

  it('refuses a ciphertext moved to another row, naming the row it was read for', () => {
    const { ciphertext, keyId } = keyring.encrypt(TOKEN, aad);
    const e = thrown(() => keyring.decrypt(ciphertext, keyId, pageTokenAad('2002', '42')));
    expect(isPageKeeperError(e, 'PK_DECRYPT_FAILED')).toBe(true);
    expect((e as Error).message).toContain('page token of page 2002 granted by user 42');
    const e2 = thrown(() => keyring.decrypt(ciphertext, keyId, userTokenAad('42')));
    expect((e2 as Error).message).toContain('user token of user 42');
  });

  it('says which key is wrong when the key with that id changed', () => {
    const { ciphertext } = keyring.encrypt(TOKEN, aad);
    const other = parseKeys(generateKeyEntry('k1'));
    const e = thrown(() => other.decrypt(ciphertext, 'k1', aad));
    expect(isPageKeeperError(e, 'PK_DECRYPT_FAILED')).toBe(true);
    expect((e as Error).message).toContain('"k1"');
    expect((e as Error).message).not.toContain(TOKEN);
  });

  it('names a key id that is not configured', () => {
    const { ciphertext } = keyring.encrypt(TOKEN, aad);
    const e = thrown(() => keyring.decrypt(ciphertext, 'gone', aad));
    expect(isPageKeeperError(e, 'PK_KEY_UNKNOWN')).toBe(true);
    expect((e as Error).message).toContain('"gone"');
  });

  it('decrypts under an older key kept after the active one', () => {
    const oldEntry = generateKeyEntry('old');
    const old = parseKeys(oldEntry);
    const { ciphertext, keyId } = old.encrypt(TOKEN, aad);
    const both = parseKeys(`${generateKeyEntry('new')},${oldEntry}`);
    expect(both.decrypt(ciphertext, keyId, aad)).toBe(TOKEN);
    expect(both.encrypt(TOKEN, aad).keyId).toBe('new');
  });
});
