import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pkError } from '../../errors.js';
import type { ServiceDeps } from '../deps.js';
import { dataDeletionPage } from '../dashboard/pages.js';
import { parseSignedRequest } from '../security/parse-signed-request.js';

const SignedRequestForm = z.object({ signed_request: z.string() });
const ConfirmationCode = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/**
 * Facebook's app callbacks (docs/graph-api.md "Webhooks"):
 * - Deauthorize: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow#deauth-callback
 * - Data deletion: https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
 * Both post a form with `signed_request`, verified with the app secret before anything happens.
 */
export async function facebookCallbackRoutes(app: FastifyInstance, opts: { deps: ServiceDeps; baseUrl: (req: { protocol: string; host: string }) => string }): Promise<void> {
  const { deps } = opts;
  const verify = (body: unknown) => {
    const form = SignedRequestForm.safeParse(body);
    if (!form.success) throw pkError('PK_SIGNED_REQUEST_INVALID', { detail: 'missing' });
    const secret = deps.config.appSecret;
    if (secret === undefined) throw pkError('PK_CONFIG_MISSING', { name: 'PAGEKEEPER_APP_SECRET' });
    return parseSignedRequest(form.data.signed_request, secret);
  };

  app.post('/facebook/deauthorize', async (request) => {
    const { userId } = verify(request.body);
    await deps.handleDeauthorize?.(userId);
    return { ok: true };
  });

  app.post('/facebook/data-deletion', async (request) => {
    const { userId } = verify(request.body);
    const code = randomBytes(12).toString('base64url');
    await deps.deleteUserData(userId, code);
    return { url: `${opts.baseUrl(request)}/facebook/data-deletion/${code}`, confirmation_code: code };
  });

  app.get('/facebook/data-deletion/:code', async (request, reply) => {
    const code = ConfirmationCode.safeParse((request.params as { code?: unknown }).code);
    const status = code.success ? await deps.dataDeletionStatus(code.data) : undefined;
    void reply.type('text/html; charset=utf-8');
    if (!status || !code.success) return reply.code(404).send(dataDeletionPage(null));
    return dataDeletionPage({ code: code.data, ...status });
  });
}
