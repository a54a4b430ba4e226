/**
 * Graph error objects exactly as Facebook shapes them (docs/graph-api.md "Error object"):
 * `{"error":{"message","type","code","error_subcode"?,"is_transient"?,"fbtrace_id"}}`, HTTP 400
 * by default, and `WWW-Authenticate` on OAuthException errors.
 */
import { fbtraceId } from './ids.js';

export type GraphErrorType = 'OAuthException' | 'GraphMethodException' | 'FacebookApiException' | 'GraphBatchException';

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
  if (type === 'OAuthException') headers['www-authenticate'] = wwwAuthenticate(spec.code, spec.message);
  return { status: spec.status ?? 400, body: { error }, headers };
}

/**
 * `OAuth "Facebook Platform" "<error>" "<message>"`. Token errors say `invalid_token` (docs/graph-api.md);
 * other OAuthExceptions say `invalid_request`, as recorded from the real API, e.g.
 * `OAuth "Facebook Platform" "invalid_request" "An active access token must be used to query information about the current user."`
 * (https://github.com/pablobarbera/Rfacebook/issues/123) and `... "invalid_request" "(#4) Application request limit reached"`
 * (compared verbatim by a public Python Graph client).
 */
export function wwwAuthenticate(code: number, message: string): string {
  // Header values must stay printable ASCII without quotes.
  const safe = message.replace(/[^\x20-\x7e]|"/g, '');
  return `OAuth "Facebook Platform" "${TOKEN_CODES.has(code) ? 'invalid_token' : 'invalid_request'}" "${safe}"`;
}

// Messages copied from real Graph responses (docs/graph-api.md and public test fixtures).
export const MSG = {
  cannotParse: 'Invalid OAuth access token - Cannot parse access token',
  tokenRequired: 'An access token is required to request this resource.',
  activeTokenForMe: 'An active access token must be used to query information about the current user.',
  passwordChanged:
    'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  appRemoved: (appId: string) => `Error validating access token: The user has not authorized application ${appId}.`,
  loggedOut: 'Error validating access token: The session is invalid because the user logged out.',
  // 459 and 492 carry no "Error validating access token:" prefix, unlike 458/460/463/467: recorded as
  // `{"code":190,"message":"You cannot access the app till you log in to www.facebook.com and follow the instructions given.","subcode":459}`
  // in a debug_token answer and as "190 The user must be an administrator, editor, or moderator of the page ..." in
  // a Messenger tool's error table (public GitHub code; the 460 line of that table does carry the prefix).
  checkpoint: 'You cannot access the app till you log in to www.facebook.com and follow the instructions given.',
  pageRoleRemoved:
    'The user must be an administrator, editor, or moderator of the page in order to impersonate it. If the page business requires Two Factor Authentication, the user also needs to enable Two Factor Authentication.',
  proofMissing: 'API calls from the server require an appsecret_proof argument',
  proofWrong: 'Invalid appsecret_proof provided in the API argument',
  needAppToken: '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
  unsupported: (method: string, id: string) =>
    `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  // The components after the node: "/v2.80/IUPATDC35/feed" answered "Unknown path components: /IUPATDC35/feed"
  // (https://github.com/arsduo/koala/issues/611: the bad version was read as the node).
  unknownPath: (rest: string) => `Unknown path components: /${rest}`,
  nonexistingField: (field: string, node: string) => `(#100) Tried accessing nonexisting field (${field}) on node type (${node})`,
  outsideWindow:
    '(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview',
  noMatchingUser: '(#100) No matching user found',
  // https://developers.facebook.com/docs/messenger-platform/error-codes: 551/1545041; the "(#551) ... now." form is
  // what public Messenger clients match in their tests.
  personUnavailable: "(#551) This person isn't available right now.",
  pageTokenRequired: '(#210) A page access token is required to request this resource.',
  // Recorded by facepy's tests (https://github.com/jgorset/facepy, test_batch_over_50_requests): no "(#n)" prefix,
  // type GraphBatchException. The code is not in the recording: 1 is a guess.
  batchTooBig: 'Too many requests in batch message. Maximum batch size is 50',
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
