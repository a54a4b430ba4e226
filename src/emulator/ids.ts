/**
 * Identifiers and secrets that look like Facebook's: numeric object ids of 15-16 digits,
 * opaque `EAA...` tokens, `m_...` message ids and fbtrace ids. Clients must treat them as
 * opaque strings; looking real keeps length/format assumptions honest.
 */
import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(length: number): string {
  const bytes = randomBytes(length);
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
  return `m_${randomBytes(60).toString('base64url')}`;
}

export function fbtraceId(): string {
  return base62(11);
}

export function appSecret(): string {
  return randomBytes(16).toString('hex');
}
