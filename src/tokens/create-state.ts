import { randomBytes } from 'node:crypto';

/**
 * A fresh OAuth `state`: 32 random bytes, base64url. Facebook echoes it on the redirect; a
 * callback whose state differs is a forged or stale login (CSRF) and is refused.
 */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}
