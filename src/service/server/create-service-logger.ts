import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from '../../graph/redact.js';
import { prettyLogStream, type LogFormat } from './log-format.js';

/** Query parameters the service itself receives that must not reach a log line. */
const SERVICE_SECRET_PARAMS = new Set(['code', 'state', 'hub.verify_token', 'hub.challenge', 'signed_request', 'access_token', 'key', 'token']);

/** A request URL fit for a log line: secret query values masked, fragment dropped. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const masked = url
    .slice(q + 1)
    .split('#')[0]!
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq === -1 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // malformed escape: compare the raw name
      }
      return eq !== -1 && SERVICE_SECRET_PARAMS.has(name) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join('&');
  return redactUrl(`${url.slice(0, q)}?${masked}`);
}

/**
 * The service's pino logger. Requests are logged by method, route-less URL with secrets masked,
 * and remote address only: never headers (Authorization, cookies, signatures) or bodies.
 * The redact paths are a second line of defence for anything logged by hand.
 * `format: 'pretty'` writes readable lines (log-format.ts) made from the redacted records.
 */
export function createServiceLogger(options: { level?: string; destination?: DestinationStream; format?: LogFormat; colors?: boolean } = {}): Logger {
  const destination = options.format === 'pretty' ? prettyLogStream(options.destination ?? pino.destination({ fd: 1, sync: false }), { colors: options.colors === true }) : options.destination;
  return pino(
    {
      level: options.level ?? 'info',
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-hub-signature-256"]',
          'req.headers["x-hub-signature"]',
          'res.headers["set-cookie"]',
          'headers.authorization',
          'headers.cookie',
          // Top level and one level down: pino's `*` matches exactly one key.
          'access_token',
          'token',
          'key',
          'appSecret',
          'adminKey',
          '*.access_token',
          '*.token',
          '*.key',
          '*.appSecret',
          '*.adminKey',
        ],
        censor: '***',
      },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
          method: req.method,
          url: loggableUrl(req.url ?? ''),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
