import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { pkError } from '../../errors.js';

/**
 * Envelope of every stored ciphertext: base64 of `version | iv | tag | ct`.
 * AES-256-GCM with a random 96-bit IV per encryption and a 128-bit tag (NIST SP 800-38D);
 * the version byte lets a later format coexist with this one.
 */
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
export const KEY_BYTES = 32;

/** Encrypts and decrypts stored secrets under the keys of PAGEKEEPER_KEYS; built by `parseKeys`. */
export interface Keyring {
  /** Id of the key new ciphertexts are written under (the first entry of PAGEKEEPER_KEYS). */
  readonly activeKeyId: string;
  /** Every configured key id, active first. */
  readonly keyIds: readonly string[];
  /**
   * Encrypts under the active key. `aad` must name the row the ciphertext belongs to (see `aad.ts`),
   * so a ciphertext copied to another row no longer decrypts.
   */
  encrypt(plaintext: string, aad: string): { ciphertext: string; keyId: string };
  /**
   * Decrypts a ciphertext written under `keyId` for the row named by `aad`.
   * @throws PK_KEY_UNKNOWN when `keyId` is not configured; PK_DECRYPT_FAILED when the ciphertext,
   *   the row binding or the key does not match.
   */
  decrypt(ciphertext: string, keyId: string, aad: string): string;
  has(keyId: string): boolean;
}

/** Builds a keyring from decoded keys; the first is active. Callers normally use `parseKeys`. */
export function createKeyring(keys: ReadonlyArray<{ id: string; key: Buffer }>): Keyring {
  const first = keys[0];
  if (first === undefined) throw pkError('PK_KEYS_MISSING');
  // KeyObjects built once: ciphers take them without copying and checking raw key bytes per call.
  const byId = new Map<string, KeyObject>(keys.map((k) => [k.id, createSecretKey(k.key)] as const));
  const activeKey = byId.get(first.id)!;

  return {
    activeKeyId: first.id,
    keyIds: keys.map((k) => k.id),
    has: (keyId) => byId.has(keyId),

    encrypt(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', activeKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const envelope = Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ct]);
      return { ciphertext: envelope.toString('base64'), keyId: first.id };
    },

    decrypt(ciphertext, keyId, aad) {
      const key = byId.get(keyId);
      if (key === undefined) throw pkError('PK_KEY_UNKNOWN', { keyId });
      const envelope = Buffer.from(ciphertext, 'base64');
      if (envelope.length < HEADER_BYTES || envelope[0] !== FORMAT_VERSION) {
        throw pkError('PK_DECRYPT_FAILED', { what: describeAad(aad), keyId });
      }
      const iv = envelope.subarray(1, 1 + IV_BYTES);
      const tag = envelope.subarray(1 + IV_BYTES, HEADER_BYTES);
      const ct = envelope.subarray(HEADER_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      } catch (cause) {
        // GCM's error says nothing useful ("Unsupported state or unable to authenticate data");
        // the row it was meant for does.
        throw pkError('PK_DECRYPT_FAILED', { what: describeAad(aad), keyId }, { cause });
      }
    },
  };
}

/** Turns `pagekeeper:page_token:P:U` into `page token of page P granted by user U` for error messages. */
function describeAad(aad: string): string {
  const parts = aad.split(':');
  if (parts[1] === 'page_token' && parts.length === 4) return `page token of page ${parts[2]} granted by user ${parts[3]}`;
  if (parts[1] === 'user_token' && parts.length === 3) return `user token of user ${parts[2]}`;
  return aad;
}
