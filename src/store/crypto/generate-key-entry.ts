import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from './keyring.js';

/** A fresh PAGEKEEPER_KEYS entry, `id:<base64 of 32 random bytes>`, for `pagekeeper init` and demos. */
export function generateKeyEntry(id = 'k1'): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
