import { pkError } from '../../errors.js';
import { createKeyring, KEY_BYTES, type Keyring } from './keyring.js';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses PAGEKEEPER_KEYS (`id:base64,id:base64`, the first entry active, each key exactly
 * 32 bytes) into a keyring. Fails closed: without a key nothing is ever stored in plaintext.
 * Errors name the faulty entry by position and id, never by its key material.
 * @throws PK_KEYS_MISSING when the text is missing or blank; PK_KEYS_INVALID when malformed.
 */
export function parseKeys(text: string | undefined): Keyring {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') throw pkError('PK_KEYS_MISSING');

  const entries = trimmed.split(',').map((s) => s.trim());
  const keys: Array<{ id: string; key: Buffer }> = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    if (entry === '') throw invalid(`${position} is empty (stray comma?)`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalid(`${position} has no "id:" prefix`);
    const id = entry.slice(0, colon).trim();
    const material = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw invalid(`${position} has an invalid id (use 1 to 32 of A-Z a-z 0-9 _ -)`);
    const named = `${position} ("${id}")`;
    if (seen.has(id)) throw invalid(`${named} repeats an id already used`);
    seen.add(id);
    if (!BASE64.test(material) || material.length % 4 !== 0) throw invalid(`${named} is not valid base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES) throw invalid(`${named} decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES}`);
    keys.push({ id, key });
  });
  return createKeyring(keys);
}

function invalid(detail: string) {
  return pkError('PK_KEYS_INVALID', { detail });
}
