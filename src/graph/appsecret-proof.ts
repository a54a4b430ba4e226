import { createHmac } from 'node:crypto';

/**
 * `appsecret_proof = hex(HMAC-SHA256(key = app secret, message = access token))`
 * (https://developers.facebook.com/docs/graph-api/securing-requests/#appsecret_proof).
 */
export function appsecretProof(appSecret: string, token: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

/**
 * Memoises proofs per token in a bounded map: a service sends many calls with the same Page
 * token, and the HMAC is the only per-call crypto. Oldest entries go first when full.
 */
export function createProofCache(appSecret: string, max = 1000): (token: string) => string {
  const cache = new Map<string, string>();
  return (token) => {
    let proof = cache.get(token);
    if (proof === undefined) {
      proof = appsecretProof(appSecret, token);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(token, proof);
    }
    return proof;
  };
}
