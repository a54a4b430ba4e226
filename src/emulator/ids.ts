/**
 * Identifiers and secrets that look like Facebook's: numeric object ids of 15-16 digits,
 * opaque `EAA...` tokens, `m_...` message ids and fbtrace ids. Clients must treat them as
 * opaque strings; looking real keeps length/format assumptions honest.
 */
import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes drawn from a pool filled 64 KiB at a time: a Send API answer needs a message id
 * and an error its fbtrace id, and one randomBytes call each was a twentieth of the emulator's time
 * at a thousand sends a second.
 */
const POOL_BYTES = 65_536;
let pool = Buffer.alloc(0);
let used = 0;
function random(length: number): Buffer {
  if (length > POOL_BYTES) return randomBytes(length);
  if (used + length > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += length;
  return pool.subarray(used - length, used);
}

export function base62(length: number): string {
  const bytes = random(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i]! % 62];
  return out;
}

/** A numeric id such as a page or user id: 15 or 16 digits, never starting with 0. */
export function numericId(digits = 15 + randomInt(2)): string {
  let out = String(1 + randomInt(9));
  while (out.length < digits) out += String(randomInt(1_000_000_000)).padStart(9, '0');
  return out.slice(0, digits);
}

/** Real user and page tokens start with "EAA" followed by an app-specific prefix; ~180 chars. */
export function accessToken(): string {
  return `EAA${base62(177)}`;
}

export function messageId(): string {
  return `m_${random(60).toString('base64url')}`;
}

export function fbtraceId(): string {
  return base62(11);
}

export function appSecret(): string {
  return randomBytes(16).toString('hex');
}
