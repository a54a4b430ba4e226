/**
 * Graph takes tokens as query parameters (the documented way), so every URL that can reach a
 * log line or an error message goes through here first.
 */

/** Query parameters whose values are secrets (tokens, proofs, secrets, one-time login codes). */
export const SECRET_PARAMS: readonly string[] = [
  'access_token',
  'appsecret_proof',
  'input_token',
  'client_secret',
  'fb_exchange_token',
  'code',
];

const SECRET_PARAM_SET = new Set(SECRET_PARAMS);
const MASK = '***';

/**
 * Returns `url` with the values of secret query parameters replaced by `***`.
 * Works on absolute and relative URLs and never throws: text that does not parse as a URL is
 * scrubbed with the same parameter rules by `redactText`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt === -1 ? undefined : hashAt);
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // malformed escape: compare the raw name
    }
    return SECRET_PARAM_SET.has(name) && eq !== -1 ? `${rawName}=${MASK}` : pair;
  });
  // The fragment is dropped: Graph never uses one and a login redirect may carry a token there.
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

// `name=value` for any secret parameter, in URLs, form bodies or free text.
const PARAM_IN_TEXT = new RegExp(`\\b(${SECRET_PARAMS.join('|')})(=|%3D|"\\s*:\\s*")([^&\\s"',;)]+)`, 'gi');
// Facebook access tokens start with EAA (user/page) and are long; app tokens are `id|secret`.
const FB_TOKEN = /\bEA[A-Za-z0-9]{20,}\b/g;
const APP_TOKEN = /\b\d{5,}(\||%7C)[A-Za-z0-9_-]{16,}\b/gi;

/**
 * Scrubs anything that looks like a token from free text (Facebook's error messages sometimes
 * echo the request). `secrets` are exact strings to mask as well (the token of the call, the
 * app secret), so even a token that does not look like one is removed.
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) {
      out = out.split(s).join(MASK);
      const enc = encodeURIComponent(s);
      if (enc !== s) out = out.split(enc).join(MASK);
    }
  }
  return out
    .replace(PARAM_IN_TEXT, (_m, name: string, sep: string) => `${name}${sep}${MASK}`)
    .replace(FB_TOKEN, MASK)
    .replace(APP_TOKEN, MASK);
}

/**
 * A copy of a parsed response body with secret-keyed values (`access_token`, ...) masked and
 * token-looking strings scrubbed; used for the `cause` of a bad-response error, which loggers
 * may serialise.
 */
export function redactBody(value: unknown, secrets: readonly (string | undefined)[] = [], depth = 0): unknown {
  if (depth > 32) return MASK;
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactBody(v, secrets, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_PARAM_SET.has(k) && v !== null && v !== undefined ? MASK : redactBody(v, secrets, depth + 1);
    return out;
  }
  return value;
}
