import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import type { ServiceDeps } from '../deps.js';
import { dataDeletionPage } from '../dashboard/pages.js';
import { assertFreshCallback, parseSignedRequest, SIGNED_REQUEST_MAX_AGE_MS } from '../security/parse-signed-request.js';

const SignedRequestForm = z.object({ signed_request: z.string() });
const ConfirmationCode = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/**
 * Facebook's app callbacks (docs/graph-api.md "Webhooks"):
 * - Deauthorize: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow#deauth-callback
 * - Data deletion: https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
 * Both post a form with `signed_request`, verified with the app secret before anything happens.
 * The value must be fresh (issued within the hour) and is acted on once.
 */
export async function facebookCallbackRoutes(app: FastifyInstance, opts: { deps: ServiceDeps; baseUrl: (req: { protocol: string; host: string }) => string }): Promise<void> {
  const { deps } = opts;
  const verify = (body: unknown) => {
    const form = SignedRequestForm.safeParse(body);
    if (!form.success) throw pkError('PK_SIGNED_REQUEST_INVALID', { detail: 'missing' });
    const secret = deps.config.appSecret;
    if (secret === undefined) throw pkError('PK_CONFIG_MISSING', { name: 'PAGEKEEPER_APP_SECRET' });
    const now = deps.now();
    const sr = parseSignedRequest(form.data.signed_request, secret);
    assertFreshCallback(sr, now);
    // The value is remembered (by hash) until it would be refused as stale anyway.
    const key = createHash('sha256').update(form.data.signed_request).digest('hex');
    return { ...sr, key, now, expiresAt: sr.issuedAt!.getTime() + SIGNED_REQUEST_MAX_AGE_MS };
  };
  /**
   * Acts once per signed_request: the first delivery records its answer and acts (if acting
   * fails, the record is dropped so Facebook's retry acts); a replay within the hour, on any
   * instance, gets the first answer and does nothing.
   */
  const once = async <T>(purpose: string, sr: ReturnType<typeof verify>, answer: T, act: () => Promise<void>): Promise<T> => {
    const claim = await deps.callbackReplays.claim({ key: sr.key, purpose, answer, at: sr.now, expiresAt: sr.expiresAt });
    if (!claim.first) return claim.answer as T;
    try {
      await act();
    } catch (e) {
      await deps.callbackReplays.release(sr.key).catch(() => {});
      throw e;
    }
    return answer;
  };

  app.post('/facebook/deauthorize', async (request) => {
    const sr = verify(request.body);
    return once('deauthorize', sr, { ok: true }, async () => void (await deps.handleDeauthorize?.(sr.userId)));
  });

  app.post('/facebook/data-deletion', async (request) => {
    const sr = verify(request.body);
    const code = randomBytes(12).toString('base64url');
    const answer = { url: `${opts.baseUrl(request)}/facebook/data-deletion/${code}`, confirmation_code: code };
    return once('data-deletion', sr, answer, () => deps.deleteUserData(sr.userId, code));
  });

  app.get('/facebook/data-deletion/:code', async (request, reply) => {
    const code = ConfirmationCode.safeParse((request.params as { code?: unknown }).code);
    const status = code.success ? await deps.dataDeletionStatus(code.data) : undefined;
    void reply.type('text/html; charset=utf-8');
    if (!status || !code.success) return reply.code(404).send(dataDeletionPage(null));
    return dataDeletionPage({ code: code.data, ...status });
  });
}
