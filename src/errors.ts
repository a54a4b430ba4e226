/**
 * Every error pagekeeper raises, in one table: a stable code for programs, a message for
 * people, a fix that says what to do, the HTTP status the service answers with and the
 * exit code the CLI ends with.
 *
 * Messages are templates: `{name}` is replaced from the params given to `pkError`.
 * Never put a token, app secret or key into params: messages reach logs and terminals.
 */

export interface ErrorSpec {
  /** Message template for people; `{param}` placeholders are filled from params. */
  readonly message: string;
  /** What the person should do about it. */
  readonly fix?: string;
  /** HTTP status when the service answers with this error. */
  readonly status: number;
  /** CLI exit code: 2 for usage errors, 1 for failures. */
  readonly exitCode: 1 | 2;
}

export const ERRORS = {
  // configuration and usage
  PK_USAGE: { message: '{detail}', status: 400, exitCode: 2 },
  PK_CONFIG_MISSING: {
    message: '{name} is not set',
    fix: 'Set {name} in the environment or in .env (run `pagekeeper init` to create one).',
    status: 500,
    exitCode: 2,
  },
  PK_CONFIG_INVALID: { message: '{name} is invalid: {detail}', fix: 'Correct {name} in the environment or in .env.', status: 500, exitCode: 2 },
  PK_KEYS_MISSING: {
    message: 'No encryption key is configured (PAGEKEEPER_KEYS is empty); pagekeeper never stores tokens in plaintext',
    fix: 'Run `pagekeeper init` to write a fresh key to .env, or set PAGEKEEPER_KEYS=k1:<base64 of 32 random bytes> (for example: k1:$(openssl rand -base64 32)).',
    status: 500,
    exitCode: 2,
  },
  PK_KEYS_INVALID: {
    message: 'PAGEKEEPER_KEYS is malformed: {detail}',
    fix: 'PAGEKEEPER_KEYS is a comma-separated list of id:base64 pairs, each key exactly 32 bytes, the active key first; make one with `openssl rand -base64 32`.',
    status: 500,
    exitCode: 2,
  },
  PK_KEY_UNKNOWN: {
    message: 'A stored token was encrypted with key "{keyId}", which is not in PAGEKEEPER_KEYS',
    fix: 'Add the key with id "{keyId}" back to PAGEKEEPER_KEYS (after the active one), then run `pagekeeper keys rotate`.',
    status: 500,
    exitCode: 1,
  },
  PK_DECRYPT_FAILED: {
    message: 'A stored token ({what}) failed authentication: the ciphertext was altered, moved to another row, or the key "{keyId}" is wrong',
    fix: 'Check that PAGEKEEPER_KEYS holds the right key for id "{keyId}"; if the database was tampered with, reconnect the affected user with `pagekeeper connect`.',
    status: 500,
    exitCode: 1,
  },

  // database
  PK_DB_UNREACHABLE: { message: 'The database cannot be reached: {detail}', fix: 'Check PAGEKEEPER_DATABASE and that the database server is running.', status: 503, exitCode: 1 },
  PK_DB_MIGRATIONS_BEHIND: {
    message: 'The database schema is behind this version of pagekeeper ({detail})',
    fix: 'Run `pagekeeper migrate` (or start one instance with migrations enabled) before starting the others.',
    status: 503,
    exitCode: 1,
  },
  PK_DB_AHEAD: { message: 'The database schema is newer than this version of pagekeeper ({detail})', fix: 'Upgrade pagekeeper on this machine.', status: 503, exitCode: 1 },

  // talking to Graph
  PK_GRAPH_ERROR: { message: 'Facebook answered with an error: {detail}', status: 502, exitCode: 1 },
  PK_GRAPH_BAD_RESPONSE: { message: 'Facebook sent a response pagekeeper cannot read: {detail}', fix: 'This is usually temporary; try again. If it persists, check PAGEKEEPER_GRAPH_URL.', status: 502, exitCode: 1 },
  PK_GRAPH_UNREACHABLE: { message: 'Facebook cannot be reached at {origin}: {detail}', fix: 'Check the network and PAGEKEEPER_GRAPH_URL.', status: 502, exitCode: 1 },
  PK_GRAPH_TIMEOUT: { message: 'Facebook did not answer within {ms} ms', fix: 'Try again later; raise the timeout if this keeps happening.', status: 504, exitCode: 1 },

  // tokens
  PK_TOKEN_EXPIRED: {
    message: 'The {what} has expired{detail}',
    fix: 'Get a fresh short-lived user token (Graph API Explorer or `pagekeeper connect --browser`) and connect again within the hour; for a system user, generate a new token (Business Settings > Users > System users) and run `pagekeeper connect --system-user`.',
    status: 400,
    exitCode: 1,
  },
  PK_TOKEN_INVALID: { message: 'The {what} is not valid: {reason}', fix: '{fix}', status: 400, exitCode: 1 },
  PK_TOKEN_WRONG_TYPE: {
    message: 'The token given is a {type} token; connect needs a user token',
    fix: 'In Graph API Explorer choose "User Token" (not a Page or App token), then copy it again.',
    status: 400,
    exitCode: 1,
  },
  PK_TOKEN_WRONG_APP: {
    message: 'The token belongs to app {tokenAppId}, not to this app ({appId})',
    fix: 'In Graph API Explorer pick the app whose id is in PAGEKEEPER_APP_ID before generating the token.',
    status: 400,
    exitCode: 1,
  },
  PK_TOKEN_MISSING_SCOPES: {
    message: 'The token lacks the permissions {scopes}',
    fix: 'Generate the token again with {scopes} ticked (Graph API Explorer: "Add a permission"; Facebook Login: scope={scopes}, with auth_type=rerequest if they were declined; a system user: Business Settings > System users > Generate new token; Login for Business: add them to the configuration).',
    status: 400,
    exitCode: 1,
  },
  PK_PAGE_TOKEN_EXPIRES: {
    message: 'The token for page {pageId} expires ({detail}) instead of never',
    fix: 'Page tokens only stop expiring when they come from a long-lived user token; connect again so pagekeeper can exchange it first.',
    status: 502,
    exitCode: 1,
  },
  PK_TOKEN_NOT_SYSTEM_USER: {
    message: 'The token given is a {type} token, not a system user token',
    fix: 'Generate the token in Business Settings > Users > System users > Generate new token (or use `pagekeeper connect` without --system-user for a person\'s token).',
    status: 400,
    exitCode: 1,
  },
  PK_SYSTEM_USER_NO_PAGES: {
    message: 'System user {userId} has no Page that pagekeeper can see',
    fix: 'In Business Settings > Users > System users, assign the Pages to this system user (Assign assets, with Messages), or name them with `pagekeeper connect --system-user --pages ID,ID`.',
    status: 400,
    exitCode: 1,
  },
  PK_SYSTEM_USER_PAGE_UNAVAILABLE: {
    message: 'System user {userId} cannot get a token for page {pageId}: {detail}',
    fix: 'Assign the Page to the system user in Business Settings > Users > System users > Assign assets, then connect again.',
    status: 400,
    exitCode: 1,
  },
  PK_NO_VALID_TOKEN: { message: 'Page {pageId} has no valid token left ({reason})', fix: '{fix}', status: 409, exitCode: 1 },
  PK_PAGE_NOT_FOUND: { message: 'Page {pageId} is not connected', fix: 'Run `pagekeeper pages` to see connected pages, or connect the person who manages it.', status: 404, exitCode: 1 },
  PK_USER_NOT_FOUND: { message: 'User {userId} is not connected', status: 404, exitCode: 1 },

  // Facebook Login
  PK_OAUTH_STATE_INVALID: { message: 'The login state is missing, expired or does not match this browser', fix: 'Start again from the Connect button.', status: 400, exitCode: 1 },
  PK_OAUTH_DENIED: { message: 'The person cancelled the Facebook Login dialog or declined permissions', fix: 'Start again and accept the permissions pagekeeper asks for.', status: 400, exitCode: 1 },
  PK_OAUTH_CODE_INVALID: { message: 'Facebook refused the login code: {detail}', fix: 'Start again from the Connect button; a code works only once.', status: 400, exitCode: 1 },

  // Messenger
  PK_MESSAGE_INVALID: { message: 'The message is invalid: {detail}', status: 400, exitCode: 1 },
  PK_OUTSIDE_WINDOW: { message: '{detail}', fix: '{fix}', status: 409, exitCode: 1 },
  PK_INSTAGRAM_UNAVAILABLE: { message: 'Page {pageId} cannot send Instagram messages: {reason}', fix: '{fix}', status: 409, exitCode: 1 },
  PK_SEND_FAILED: { message: 'Facebook refused the message: {detail}', status: 502, exitCode: 1 },
  PK_DUPLICATE: { message: '{detail}', status: 409, exitCode: 1 },

  // service
  PK_UNAUTHORIZED: { message: 'Missing or invalid API key', fix: 'Send Authorization: Bearer <key>; create one with `pagekeeper api-keys create`.', status: 401, exitCode: 1 },
  PK_FORBIDDEN: { message: 'This API key lacks the scope {scope}', fix: 'Create a key with --scopes {scope}.', status: 403, exitCode: 1 },
  PK_NOT_FOUND: { message: '{what} not found', status: 404, exitCode: 1 },
  PK_BODY_TOO_LARGE: { message: 'The request body is larger than {limit} bytes', status: 413, exitCode: 1 },
  PK_RATE_LIMITED: { message: 'Too many requests; retry after {retryAfter} s', status: 429, exitCode: 1 },
  PK_VALIDATION: { message: 'Invalid request: {detail}', status: 400, exitCode: 1 },
  PK_WEBHOOK_SIGNATURE: { message: 'The webhook signature is missing or wrong', status: 403, exitCode: 1 },
  PK_SIGNED_REQUEST_INVALID: { message: 'The signed_request is invalid: {detail}', status: 400, exitCode: 1 },
  PK_WEBHOOK_SETUP_FAILED: {
    message: 'Facebook refused the webhook subscription for {callbackUrl}: {detail}',
    fix: 'Facebook calls {callbackUrl} with hub.challenge during setup: start `pagekeeper serve` with the same PAGEKEEPER_VERIFY_TOKEN, make PAGEKEEPER_PUBLIC_URL reach it from the internet over https, then run `pagekeeper webhooks setup` again.',
    status: 502,
    exitCode: 1,
  },

  // tenants and connect links
  PK_TENANT_EXISTS: { message: 'A tenant with id {tenantId} exists already', fix: 'Choose another id, or use the existing tenant.', status: 409, exitCode: 1 },
  PK_TENANT_NOT_FOUND: { message: 'Tenant {tenantId} not found', fix: 'Create it first: `pagekeeper tenants create --id ID --name NAME` or POST /v1/tenants.', status: 404, exitCode: 1 },
  PK_RETURN_URL_NOT_ALLOWED: {
    message: 'returnUrl {origin} is not an allowed origin',
    fix: 'Add the origin (scheme://host[:port]) to PAGEKEEPER_RETURN_ORIGINS, comma-separated, or return to one that is listed.',
    status: 400,
    exitCode: 1,
  },

  PK_INTERNAL: { message: 'Internal error: {detail}', status: 500, exitCode: 1 },
  PK_DB_NOT_EMPTY: {
    message: 'The target database {location} already holds data ({detail})',
    fix: 'Copy into an empty database, or pass --force to replace what it holds.',
    status: 409,
    exitCode: 1,
  },

  // Messenger Platform: people, the Page's Messenger Profile, attachment uploads (docs/messenger-profile.md)
  PK_PERSON_NOT_FOUND: {
    message: 'Facebook does not say who {psid} is on Page {pageId}',
    fix: 'Use the PSID of a person who wrote to this Page (sender.id of its webhook); PSIDs differ from Page to Page.',
    status: 404,
    exitCode: 1,
  },
  PK_BOT_PROFILE_INVALID: { message: 'The Messenger Profile is invalid: {detail}', fix: 'Correct the fields named above; nothing was sent to Facebook.', status: 400, exitCode: 1 },
  PK_ATTACHMENT_INVALID: { message: 'The attachment cannot be uploaded: {detail}', status: 400, exitCode: 1 },
  PK_MESSAGE_NOT_RETRYABLE: {
    message: 'Message {id} is {status}; only a failed or unknown message can be retried',
    fix: 'Find failed messages with `pagekeeper messages --status failed` (or /messages in the dashboard) and retry one of those.',
    status: 409,
    exitCode: 1,
  },
  PK_MESSAGE_NOT_CANCELLABLE: {
    message: 'Message {id} is {status}; only a queued or held message can be cancelled',
    fix: 'A message already sent, or being sent, cannot be called back; one that failed can be retried instead.',
    status: 409,
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorParams = Record<string, string | number | boolean | null | undefined>;

function fill(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined || params[k] === null ? '' : String(params[k])));
}

/** An error with a stable code, a message for people and, where one helps, a fix. */
export class PageKeeperError extends Error {
  override readonly name = 'PageKeeperError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: 1 | 2;
  readonly fix: string | undefined;
  /** Extra, secret-free facts for programs (for example the Graph error code). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    super(fill(spec.message, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.exitCode = spec.exitCode;
    const fix = spec.fix === undefined ? undefined : fill(spec.fix, params);
    this.fix = fix === '' ? undefined : fix;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; fix?: string } {
    return this.fix ? { code: this.code, message: this.message, fix: this.fix } : { code: this.code, message: this.message };
  }
}

/** Builds a PageKeeperError; the shorthand used across the code base. */
export function pkError(code: ErrorCode, params: ErrorParams = {}, options: { cause?: unknown; details?: Record<string, unknown> } = {}): PageKeeperError {
  return new PageKeeperError(code, params, options);
}

export function isPageKeeperError(e: unknown, code?: ErrorCode): e is PageKeeperError {
  return e instanceof PageKeeperError && (code === undefined || e.code === code);
}
