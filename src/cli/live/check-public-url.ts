/**
 * Is PAGEKEEPER_PUBLIC_URL fit for a Live app? Facebook sends webhooks only to an HTTPS callback
 * with a valid certificate (self-signed certificates are refused), and a Live app's Login redirect
 * must be HTTPS too (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
 * https://developers.facebook.com/docs/facebook-login/security). Reachable from this machine
 * does not prove Facebook can reach it, but unreachable from here usually means not from there either.
 */
export type PublicUrlVerdict =
  | { state: 'unset' }
  | { state: 'not-https'; url: string }
  | { state: 'reachable'; url: string; status: number }
  | { state: 'certificate'; url: string; problem: string }
  | { state: 'unreachable'; url: string; problem: string };

const TIMEOUT_MS = 5_000;
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/i;

export async function checkPublicUrl(publicUrl: string | undefined, fetchImpl: typeof fetch = fetch): Promise<PublicUrlVerdict> {
  if (publicUrl === undefined) return { state: 'unset' };
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return { state: 'not-https', url: publicUrl };
  }
  if (url.protocol !== 'https:') return { state: 'not-https', url: url.origin };
  try {
    // /healthz is `pagekeeper serve`'s public, unauthenticated health route.
    const res = await fetchImpl(new URL('healthz', `${url.href.replace(/\/?$/, '/')}`), { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return { state: 'reachable', url: url.origin, status: res.status };
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'network error';
    if (CERT_CODES.test(code)) return { state: 'certificate', url: url.origin, problem: code };
    return { state: 'unreachable', url: url.origin, problem: code };
  }
}
