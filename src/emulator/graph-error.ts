/**
 * Graph error objects exactly as Facebook shapes them (graph-api-notes.md "Error object"):
 * `{"error":{"message","type","code","error_subcode"?,"is_transient"?,"fbtrace_id"}}`, HTTP 400
 * by default, and `WWW-Authenticate` on OAuthException errors.
 */
import { fbtraceId } from './ids.js';

export type GraphErrorType = 'OAuthException' | 'GraphMethodException' | 'FacebookApiException';

export interface GraphErrorSpec {
  message: string;
  type?: GraphErrorType;
  code: number;
  subcode?: number;
  isTransient?: boolean;
  status?: number;
  errorUserTitle?: string;
  errorUserMsg?: string;
}

export interface GraphResult {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Thrown inside handlers; the dispatcher turns it into a GraphResult. */
export class GraphError extends Error {
  constructor(readonly spec: GraphErrorSpec) {
    super(spec.message);
  }
}

export const fail = (spec: GraphErrorSpec): never => {
  throw new GraphError(spec);
};

const TOKEN_CODES = new Set([102, 104, 190]);

export function errorResult(spec: GraphErrorSpec): GraphResult {
  const type = spec.type ?? 'OAuthException';
  const error: Record<string, unknown> = { message: spec.message, type, code: spec.code };
  if (spec.subcode !== undefined) error.error_subcode = spec.subcode;
  if (spec.isTransient !== undefined) error.is_transient = spec.isTransient;
  if (spec.errorUserTitle !== undefined) error.error_user_title = spec.errorUserTitle;
  if (spec.errorUserMsg !== undefined) error.error_user_msg = spec.errorUserMsg;
  error.fbtrace_id = fbtraceId();
  const headers: Record<string, string> = {};
  if (type === 'OAuthException') {
    // Header values must stay printable ASCII without quotes.
    const safe = spec.message.replace(/[^\x20-\x7e]|"/g, '');
    headers['www-authenticate'] = `OAuth "Facebook Platform" "${TOKEN_CODES.has(spec.code) ? 'invalid_token' : 'invalid_request'}" "${safe}"`;
  }
  return { status: spec.status ?? 400, body: { error }, headers };
}

// Messages copied from real Graph responses (graph-api-notes.md and public test fixtures).
export const MSG = {
  cannotParse: 'Invalid OAuth access token - Cannot parse access token',
  tokenRequired: 'An access token is required to request this resource.',
  activeTokenForMe: 'An active access token must be used to query information about the current user.',
  passwordChanged:
    'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  appRemoved: (appId: string) => `Error validating access token: The user has not authorized application ${appId}.`,
  loggedOut: 'Error validating access token: The session is invalid because the user logged out.',
  checkpoint: 'Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.',
  pageRoleRemoved:
    'Error validating access token: The user must be an administrator, editor, or moderator of the page in order to impersonate it. If the page business requires Two Factor Authentication, the user also needs to enable Two Factor Authentication.',
  proofMissing: 'API calls from the server require an appsecret_proof argument',
  proofWrong: 'Invalid appsecret_proof provided in the API argument',
  needAppToken: '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
  unsupported: (method: string, id: string) =>
    `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  unknownPath: (rest: string) => `Unknown path components: /${rest}`,
  nonexistingField: (field: string, node: string) => `(#100) Tried accessing nonexisting field (${field}) on node type (${node})`,
  outsideWindow:
    '(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview',
  noMatchingUser: '(#100) No matching user found',
  sendRate: '(#613) Calls to this api have exceeded the rate limit.',
  pageRate:
    '(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.',
  appRate: '(#4) Application request limit reached',
} as const;

/** "Tuesday, 05-Mar-24 13:00:00 PST", the format of Facebook's expiry messages (Pacific time). */
export function fbDate(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    weekday: 'long',
    day: '2-digit',
    month: 'short',
    year: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('weekday')}, ${p('day')}-${p('month')}-${p('year')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

export function expiredMessage(expiredAtMs: number, nowMs: number): string {
  return `Error validating access token: Session has expired on ${fbDate(expiredAtMs)}. The current time is ${fbDate(nowMs)}.`;
}
