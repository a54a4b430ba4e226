import { createHash, randomBytes } from 'node:crypto';

/** Every key starts with this, so leaked keys are easy to spot (and to scan for). */
export const API_KEY_PREFIX = 'pk_';
const KEY_BYTES = 32;
/** `pk_` + 43 base64url characters (32 bytes). */
export const API_KEY_PATTERN = /^pk_[A-Za-z0-9_-]{43}$/;

/** A fresh API key: 256 random bits, shown once and never stored. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/**
 * What is stored instead of the key: its SHA-256 in hex. A fast hash is right here (unlike
 * for passwords): the key has 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A public, non-secret handle for a key. */
export function generateApiKeyId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}
