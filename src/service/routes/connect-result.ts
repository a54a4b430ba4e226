/**
 * Post/Redirect/Get for the Facebook Login callback: once /oauth/callback has acted, the browser
 * is sent (303) to /connect/result?id=..., a page that shows the saved outcome. The Login `code`
 * and `state` therefore never stay in the address bar or the history, and a refresh of the result
 * page shows the same outcome again without exchanging anything.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ConnectOutcome, ServiceDeps } from '../deps.js';
import { connectResultPage, messagePage } from '../dashboard/pages.js';

export const CONNECT_RESULT_PATH = '/connect/result';
/** How long a result can be shown (and refreshed) after the callback. */
export const CONNECT_RESULT_TTL_MS = 10 * 60_000;

/** What the result page shows: the connected Pages, or a message saying what went wrong. */
export type ConnectResult =
  | { kind: 'connected'; outcome: Pick<ConnectOutcome, 'userId' | 'userName' | 'pages' | 'problems'> }
  | { kind: 'message'; title: string; message: string; testid: string; fix?: string; error: boolean };

const StoredResult = z.union([
  z.object({
    kind: z.literal('connected'),
    outcome: z.object({
      userId: z.string(),
      userName: z.string().nullable(),
      pages: z.array(z.object({ id: z.string(), name: z.string(), status: z.enum(['healthy', 'expiring', 'needs_reauth', 'missing_permission']), reason: z.string().nullable() })),
      problems: z.array(z.string()),
    }),
  }),
  z.object({ kind: z.literal('message'), title: z.string(), message: z.string(), testid: z.string(), fix: z.string().optional(), error: z.boolean() }),
]);

/** Results that need nothing stored: the state could not be verified, so nothing was done. */
const FIXED_RESULTS: Record<string, { status: number; result: ConnectResult }> = {
  'bad-state': {
    status: 400,
    result: { kind: 'message', title: 'Login could not be verified', message: 'The login state is missing, expired or does not match this browser.', testid: 'connect-bad-state', fix: 'Start again from the Connect button.', error: true },
  },
  replayed: {
    status: 400,
    result: { kind: 'message', title: 'Login could not be verified', message: 'This login was already used.', testid: 'connect-bad-state', fix: 'Start again from the Connect button.', error: true },
  },
};

function render(result: ConnectResult): string {
  if (result.kind === 'connected') return connectResultPage({ ...result.outcome });
  return messagePage(result.title, result.message, { testid: result.testid, error: result.error, ...(result.fix === undefined ? {} : { fix: result.fix }) });
}

/** Saves the outcome and redirects the browser to the page that shows it. */
export async function redirectToResult(deps: ServiceDeps, reply: FastifyReply, status: number, result: ConnectResult): Promise<FastifyReply> {
  const id = randomBytes(16).toString('base64url');
  const now = deps.now();
  const stored: ConnectResult = result.kind === 'connected' ? { kind: 'connected', outcome: { userId: result.outcome.userId, userName: result.outcome.userName, pages: result.outcome.pages.map((p) => ({ id: p.id, name: p.name, status: p.status, reason: p.reason })), problems: result.outcome.problems } } : result;
  await deps.connectResults.save(id, { status, body: JSON.stringify(stored) }, now, now + CONNECT_RESULT_TTL_MS);
  return reply.header('cache-control', 'no-store').redirect(`${CONNECT_RESULT_PATH}?id=${id}`, 303);
}

/** Redirects to a result that needs nothing stored (see FIXED_RESULTS). */
export function redirectToFixedResult(reply: FastifyReply, kind: keyof typeof FIXED_RESULTS): FastifyReply {
  return reply.header('cache-control', 'no-store').redirect(`${CONNECT_RESULT_PATH}?error=${kind}`, 303);
}

/** GET /connect/result: the saved outcome, with the status the callback decided. */
export async function showResult(deps: ServiceDeps, query: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
  void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
  const fixed = typeof query.error === 'string' ? FIXED_RESULTS[query.error] : undefined;
  if (fixed !== undefined && Object.hasOwn(FIXED_RESULTS, query.error as string)) return reply.code(fixed.status).send(render(fixed.result));
  const id = typeof query.id === 'string' && /^[A-Za-z0-9_-]{22}$/.test(query.id) ? query.id : undefined;
  const saved = id === undefined ? undefined : await deps.connectResults.get(id, deps.now());
  const parsed = saved === undefined ? undefined : StoredResult.safeParse(JSON.parse(saved.body) as unknown);
  if (saved === undefined || parsed === undefined || !parsed.success) {
    return reply.code(404).send(messagePage('Nothing to show', 'This connect result has expired (results are kept 10 minutes) or never existed.', { testid: 'connect-result-gone', fix: 'Your Pages, if any were connected, are on the dashboard.', error: true }));
  }
  return reply.code(saved.status).send(render(parsed.data as ConnectResult));
}
