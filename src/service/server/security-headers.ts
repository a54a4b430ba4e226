/**
 * Security headers for every answer, set by one onSend hook (helmet would bring many defaults
 * we would then have to reason about; these are the ones this service needs).
 * The dashboard serves its CSS from /assets and has no script, so the CSP can forbid everything
 * else; `form-action 'self'` lets the login and check forms post back here only.
 */
export function securityHeaders(options: { https: boolean }): Record<string, string> {
  const headers: Record<string, string> = {
    'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
  // Only over https: an HSTS header on plain http is ignored at best and locks out a dev setup at worst.
  if (options.https) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
