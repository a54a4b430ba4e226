/**
 * Business apps in the emulator (docs/emulator.md "Business apps"): the app type, Facebook Login
 * for Business configurations (`config_id` instead of `scope`) and a business's system users with
 * their tokens.
 *
 * - A Business-type app's Login dialog opened without `config_id` shows only Facebook's "It looks
 *   like this app isn't available" page (recorded in public issues); with one it asks for the
 *   configuration's permissions, all or nothing
 *   (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business).
 * - A configuration whose token type is `system_user` makes the code exchange hand out a Business
 *   Integration System User token: a system user of the client business holding the Pages the
 *   person granted, that never expires and is revoked only when the business removes the app.
 * - A system user made in Business Settings gets a token that never expires or lasts 60 days;
 *   `fb_exchange_token` with `set_token_expires_in_60_days=true` gives a fresh 60-day one
 *   (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens).
 *   debug_token says `type: "SYSTEM_USER"`, `data_access_expires_at: 0`; its Page tokens end
 *   when it does.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { APP_MODES } from './app-mode.js';
import { fail } from './graph-error.js';
import { accessToken } from './ids.js';
import type { EmulatorState, TokenRecord, User } from './state.js';
import { ALL_TASKS } from './state.js';

const DAY_MS = 86400_000;
/** Business Settings' expiring system-user tokens are "Valid for 60 days". */
export const SYSTEM_USER_TOKEN_DAYS = 60;
/** What a system user made through the control API may do unless told otherwise. */
export const SYSTEM_USER_SCOPES = ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'business_management'];
/** The long-lived user token of a code exchange is a little under 60 days, as in graph.ts. */
const CODE_TOKEN_SECONDS = 5_184_000 - 56;

export interface LoginConfig {
  id: string;
  permissions: string[];
  tokenType: 'user' | 'system_user';
}

export type DialogGate = { ok: true; config: LoginConfig | undefined } | { ok: false; status: number; title: string; text: string };

/** `mode` (development or live) belongs to app-mode.ts; both are settings of the one app. */
const appInput = z.object({ type: z.enum(['business', 'consumer']).optional(), mode: z.enum(APP_MODES).optional() }).strict();
const configInput = z.object({ permissions: z.array(z.string().min(1)).min(1), tokenType: z.enum(['user', 'system_user']) }).strict();
const systemUserInput = z
  .object({
    name: z.string().min(1),
    pages: z.array(z.object({ id: z.string().regex(/^\d+$/, 'must be a numeric page id'), tasks: z.array(z.enum(ALL_TASKS)).optional() }).strict()),
    expiresInDays: z.number().int().positive().max(3650).optional(),
    scopes: z.array(z.string().min(1)).optional(),
    /**
     * Emulator extension, for the readings Facebook does not document: what /me/accounts does for
     * this system user. `listed` (default) lists its Pages, `empty` lists none, `refused` answers
     * a 100 error; clients then fall back to GET /{page-id}?fields=access_token.
     */
    accounts: z.enum(['listed', 'empty', 'refused']).optional(),
  })
  .strict();
const systemUserEventInput = z.object({ type: z.enum(['app_removed']) }).strict();

class ControlInputError extends Error {
  readonly statusCode = 400;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new ControlInputError(z.prettifyError(r.error).replace(/\n/g, '; '));
  return r.data;
}

export function createBusiness(state: EmulatorState, now: () => number) {
  const configs = new Map<string, LoginConfig>();

  function mintSystemUserToken(user: User, expiresInDays: number | null, scopes = user.scopes): TokenRecord {
    const t = now();
    const record: TokenRecord = {
      value: accessToken(),
      type: 'SYSTEM_USER',
      userId: user.id,
      scopes,
      issuedAtMs: t,
      expiresAtMs: expiresInDays === null ? 0 : t + expiresInDays * DAY_MS,
      longLived: true,
      pageTokens: new Map(),
    };
    state.tokens.set(record.value, record);
    user.tokens.add(record.value);
    return record;
  }

  function addSystemUser(input: z.infer<typeof systemUserInput>): { user: User; token: TokenRecord } {
    const id = state.newId();
    const user: User = {
      id,
      name: input.name,
      scopes: input.scopes ?? [...SYSTEM_USER_SCOPES],
      roles: new Map(),
      businessRoles: new Map(),
      businessIds: [],
      grantedPageIds: null,
      lastActivityMs: now(),
      tokens: new Set(),
      systemUser: { expiresInDays: input.expiresInDays ?? null, accounts: input.accounts ?? 'listed' },
    };
    state.users.set(id, user);
    // Assigned in Business Settings > System Users > Assign assets (/{page-id}/assigned_users).
    for (const p of input.pages) {
      const page = state.pages.get(p.id)!;
      const tasks = p.tasks ?? [...ALL_TASKS];
      page.admins.set(id, tasks);
      user.roles.set(page.id, tasks);
    }
    return { user, token: mintSystemUserToken(user, user.systemUser!.expiresInDays) };
  }

  /** fb_exchange_token with a system user's token: only the 60-day refresh is offered. */
  function exchangeSystemUserToken(record: TokenRecord, params: Record<string, unknown>) {
    if (String(params.set_token_expires_in_60_days) !== 'true') {
      return fail({ code: 100, message: '(#100) A system user access token is refreshed with set_token_expires_in_60_days=true' });
    }
    const user = state.users.get(record.userId)!;
    user.systemUser = { ...(user.systemUser ?? { accounts: 'listed' }), expiresInDays: SYSTEM_USER_TOKEN_DAYS };
    // The old token keeps working until its own end.
    const fresh = mintSystemUserToken(user, SYSTEM_USER_TOKEN_DAYS, record.scopes);
    return { access_token: fresh.value, token_type: 'bearer', expires_in: SYSTEM_USER_TOKEN_DAYS * 86400 };
  }

  /** The code exchange of a Login for Business dialog: the configuration decides the token. */
  function exchangeCodeForConfig(configId: string, person: User) {
    const config = configs.get(configId);
    if (!config) return fail({ code: 100, message: 'Invalid verification code format.' });
    if (config.tokenType === 'user') {
      const rec = state.mintUserToken(person, { longLived: true, scopes: config.permissions });
      rec.expiresAtMs = rec.issuedAtMs + CODE_TOKEN_SECONDS * 1000;
      return { access_token: rec.value, token_type: 'bearer', expires_in: CODE_TOKEN_SECONDS };
    }
    const pageIds = person.grantedPageIds ?? [...person.roles.keys()];
    const { token } = addSystemUser({
      name: `${state.app.name} integration for ${person.name}`,
      pages: pageIds.map((id) => ({ id, tasks: person.roles.get(id) as (typeof ALL_TASKS)[number][] | undefined })),
      scopes: config.permissions,
    });
    // A business token has no short life and no `expires_in`.
    return { access_token: token.value, token_type: 'bearer' };
  }

  /** Whether the Login dialog may be shown for this query, and under which configuration. */
  function dialogGate(q: { config_id?: string; response_type?: string }): DialogGate {
    // A consumer app asks with `scope`, as it always has (a config_id is not looked at).
    if (state.app.type !== 'business') return { ok: true, config: undefined };
    if (!q.config_id) return { ok: false, status: 200, title: 'Error', text: `It looks like this app isn't available. To fix this, please contact ${state.app.name}.` };
    const config = configs.get(q.config_id);
    if (!config) return { ok: false, status: 400, title: 'Error', text: 'Invalid config_id: no Facebook Login for Business configuration with this id belongs to the app.' };
    if (config.tokenType === 'system_user' && q.response_type !== 'code') {
      return { ok: false, status: 400, title: 'Error', text: 'response_type must be set to code for a System User access token.' };
    }
    return { ok: true, config };
  }

  /** The configuration a confirmed dialog was shown under, if any. */
  function configOf(configId: string | undefined): LoginConfig | undefined {
    return state.app.type === 'business' && configId ? configs.get(configId) : undefined;
  }

  function register(app: FastifyInstance) {
    app.put('/_emulator/app', async (req) => {
      const input = parse(appInput, req.body);
      if (input.type !== undefined) state.app.type = input.type;
      if (input.mode !== undefined) state.appMode.setMode(input.mode);
      return { id: state.app.id, name: state.app.name, type: state.app.type, mode: state.appMode.mode };
    });
    app.get('/_emulator/app', async () => ({ id: state.app.id, name: state.app.name, type: state.app.type, mode: state.appMode.mode }));

    app.post('/_emulator/login-configs', async (req) => {
      const input = parse(configInput, req.body);
      const id = state.newId();
      configs.set(id, { id, permissions: [...new Set(input.permissions)], tokenType: input.tokenType });
      return { id };
    });

    app.post('/_emulator/system-users', async (req) => {
      const input = parse(systemUserInput, req.body);
      for (const p of input.pages) if (!state.pages.has(p.id)) throw new ControlInputError(`pages: no page with id ${p.id}`);
      const { user, token } = addSystemUser(input);
      return { id: user.id, accessToken: token.value };
    });

    app.post<{ Params: { id: string } }>('/_emulator/system-users/:id/events', async (req, reply) => {
      const user = state.users.get(req.params.id);
      if (!user?.systemUser) return reply.code(404).send({ error: `no system user with id ${req.params.id}` });
      const input = parse(systemUserEventInput, req.body);
      // The business removed the app (Business Settings > Integrations > Connected apps): every token of the system user stops working.
      state.applyEvent(user, input.type);
      return { ok: true, type: input.type };
    });
  }

  return { register, addSystemUser, exchangeSystemUserToken, exchangeCodeForConfig, dialogGate, configOf };
}

export type Business = ReturnType<typeof createBusiness>;
