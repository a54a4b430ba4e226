import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, generateApiKey, hashApiKey } from '../../src/service/api-keys/api-key-material.js';
import { hasScope, parseScopes } from '../../src/service/api-keys/scopes.js';

describe('API keys', () => {
  it('are pk_ followed by 32 random bytes in base64url, never twice the same', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const k of keys) expect(k).toMatch(API_KEY_PATTERN);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Buffer.from(keys[0]!.slice(3), 'base64url')).toHaveLength(32);
  });

  it('are stored as their sha256 hex', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).not.toContain(key.slice(3));
  });
});

describe('scopes', () => {
  it.each([
    ['pages:read,tokens:read', ['pages:read', 'tokens:read'], []],
    [' messages:write , messages:write ', ['messages:write'], []],
    ['pages:read,admin', ['pages:read'], ['admin']],
    ['', [], []],
  ])('parse %j', (text, scopes, unknown) => {
    expect(parseScopes(text)).toEqual({ scopes, unknown });
  });

  it.each([
    [['pages:read'], 'pages:read', true],
    [['pages:read'], 'tokens:read', false],
    [[], 'pages:read', false],
    [['tokens:read', 'messages:write'], 'messages:write', true],
  ] as const)('%j grants %s: %s', (granted, needed, ok) => {
    expect(hasScope(granted, needed)).toBe(ok);
  });
});
