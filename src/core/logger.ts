/** The logger every pagekeeper module takes: pino's shape, so a pino logger fits as it is. */

/** A pino-compatible logger. Never pass a token, secret or key in any field. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
