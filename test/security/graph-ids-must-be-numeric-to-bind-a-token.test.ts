/**
 * Stored tokens are bound to `pagekeeper:page_token:<page id>:<user id>`, which is unambiguous
 * only for numeric ids: page "1:2" of user "3" and page "1" of user "2:3" would share it. Graph
 * answers with a non-numeric user or Page id are refused, and the binding itself refuses one.
 */
import { describe, expect, it } from 'vitest';
import { meSchema, pageAccountsSchema, pageTokenSchema } from '../../src/graph/schemas.js';
import { pageTokenAad, userTokenAad } from '../../src/store/crypto/aad.js';

const account = (id: string) => ({ access_token: 'EAApage', id, name: 'A Page', tasks: ['MESSAGING'] });

describe('Graph ids', () => {
  it('are refused in /me, /me/accounts and /{page-id}?fields=access_token unless numeric', () => {
    for (const id of ['1:2', '12a', '', ' 12', '1'.repeat(40), '１２']) {
      expect(meSchema.safeParse({ id, name: 'x' }).success).toBe(false);
      expect(pageAccountsSchema.safeParse({ data: [account('100'), account(id)] }).success).toBe(false);
      expect(pageTokenSchema.safeParse({ access_token: 'EAApage', id }).success).toBe(false);
    }
    expect(pageAccountsSchema.safeParse({ data: [account('100'), account('1234567890123456')] }).success).toBe(true);
  });

  it('bind a stored token only when numeric, so no two rows share an AAD', () => {
    expect(pageTokenAad('1', '23')).toBe('pagekeeper:page_token:1:23');
    expect(() => pageTokenAad('1:2', '3')).toThrow(/numeric/);
    expect(() => pageTokenAad('1', '2:3')).toThrow(/numeric/);
    expect(() => userTokenAad('x')).toThrow(/numeric/);
  });
});
