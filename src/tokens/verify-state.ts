import { createHash, timingSafeEqual } from 'node:crypto';
import { pkError } from '../errors.js';

/**
 * Checks the `state` Facebook sent back against the one this login started with, in constant
 * time (hashing first so different lengths compare in constant time too). Throws
 * PK_OAUTH_STATE_INVALID when it is missing or different.
 */
export function verifyState(expected: string, received: string | null | undefined): void {
  if (!received || !expected) throw pkError('PK_OAUTH_STATE_INVALID');
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(received).digest();
  if (!timingSafeEqual(a, b)) throw pkError('PK_OAUTH_STATE_INVALID');
}
