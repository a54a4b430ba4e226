/**
 * Connect links: a product asks for one for its customer (`POST /v1/connect-sessions`), hands
 * the link over, and the customer's browser comes back to the product's `returnUrl` after
 * Facebook Login with `?connect_session=<id>&status=success|cancelled|error`. A link works once
 * and for 15 minutes; only hashes of its secret and of the Login state are stored.
 * returnUrl must be on an origin listed in PAGEKEEPER_RETURN_ORIGINS, so a link can never send
 * a browser somewhere the operator did not allow (no open redirect).
 */
import { createHash, randomBytes } from 'node:crypto';
import { pkError } from '../../errors.js';
import type { Store } from '../../store/create-store.js';
import type { ConnectSessionStatus, StoredConnectSession } from '../../store/connect-session-repository.js';

export const CONNECT_SESSION_TTL_MS = 15 * 60 * 1000;
export const CONNECT_LINK_PATH = '/connect/link/';

export interface ConnectSessionResult {
  /** Pages the customer granted through this connect (all of them, healthy or not). */
  pages: Array<{ id: string; name: string; status: string }>;
  /** Pages new to this tenant from this person. */
  pagesGained: string[];
  /** Pages this person no longer grants; their tokens from this person were dropped. */
  pagesLost: string[];
  problems: string[];
}

export interface ConnectSessions {
  /** @throws PK_RETURN_URL_NOT_ALLOWED, PK_VALIDATION */
  create(input: { tenantId: string; returnUrl: string; pages: readonly string[] | null; publicUrl: string }): Promise<{ session: StoredConnectSession; url: string }>;
  get(id: string): Promise<StoredConnectSession | undefined>;
  /** Uses the link (once): undefined when unknown, used or expired. */
  open(linkSecret: string, state: string): Promise<StoredConnectSession | undefined>;
  byState(state: string): Promise<StoredConnectSession | undefined>;
  complete(id: string, status: Exclude<ConnectSessionStatus, 'pending' | 'opened'>, result: ConnectSessionResult): Promise<boolean>;
  /** returnUrl with `connect_session` and `status` added (existing query kept). */
  returnTo(session: StoredConnectSession, status: string): string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** `https://a.example, http://127.0.0.1:8080` -> normalised origins; anything that is not an origin is refused. */
export function parseReturnOrigins(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_RETURN_ORIGINS', detail: `"${s}" is not an origin like https://app.example.com` });
      }
      if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== s.replace(/\/+$/, '')) {
        throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_RETURN_ORIGINS', detail: `"${s}" is not an origin like https://app.example.com (scheme, host and port only)` });
      }
      return u.origin;
    });
}

/** The returnUrl, parsed, when its origin is allowed. @throws PK_VALIDATION, PK_RETURN_URL_NOT_ALLOWED */
export function checkReturnUrl(returnUrl: string, allowed: readonly string[]): URL {
  let u: URL;
  try {
    u = new URL(returnUrl);
  } catch {
    throw pkError('PK_VALIDATION', { detail: 'returnUrl must be an absolute http(s) URL' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw pkError('PK_VALIDATION', { detail: 'returnUrl must be an absolute http(s) URL' });
  if (u.username !== '' || u.password !== '') throw pkError('PK_VALIDATION', { detail: 'returnUrl must not carry credentials' });
  if (!allowed.includes(u.origin)) throw pkError('PK_RETURN_URL_NOT_ALLOWED', { origin: u.origin });
  return u;
}

export function createConnectSessions(store: Pick<Store, 'connectSessions'>, options: { returnOrigins: readonly string[]; now?: () => Date }): ConnectSessions {
  const now = options.now ?? (() => new Date());
  return {
    async create(input) {
      checkReturnUrl(input.returnUrl, options.returnOrigins);
      const id = `cs_${randomBytes(12).toString('base64url')}`;
      const secret = randomBytes(32).toString('base64url');
      const at = now();
      const session = { id, tenantId: input.tenantId, returnUrl: input.returnUrl, pages: input.pages, linkHash: sha256(secret), createdAt: at, expiresAt: new Date(at.getTime() + CONNECT_SESSION_TTL_MS) };
      await store.connectSessions.insert(session);
      return {
        session: { ...session, pages: input.pages === null ? null : [...input.pages], status: 'pending', result: null, completedAt: null },
        url: `${input.publicUrl.replace(/\/+$/, '')}${CONNECT_LINK_PATH}${secret}`,
      };
    },
    get: (id) => store.connectSessions.get(id),
    open: (secret, state) => store.connectSessions.open(sha256(secret), sha256(state), now()),
    byState: (state) => store.connectSessions.findByState(sha256(state)),
    complete: (id, status, result) => store.connectSessions.complete(id, status, { ...result }, now()),
    returnTo(session, status) {
      const u = new URL(session.returnUrl);
      u.searchParams.set('connect_session', session.id);
      u.searchParams.set('status', status);
      return u.toString();
    },
  };
}
