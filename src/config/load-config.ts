import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { pkError } from '../errors.js';
import { parseTrustProxy } from './parse-trust-proxy.js';
import { DEFAULT_WEBHOOK_FIELDS, parseWebhookFields } from '../core/webhook-fields.js';
import { NEWEST_GRAPH_VERSION } from '../core/graph-versions.js';

export const DEFAULT_DATABASE = 'sqlite:pagekeeper.db';
export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com';
export const DEFAULT_DIALOG_URL = 'https://www.facebook.com';
/** The Graph version used unless PAGEKEEPER_GRAPH_VERSION pins one: the newest Meta lists (docs/graph-api.md "Versions"). */
export const DEFAULT_GRAPH_VERSION = NEWEST_GRAPH_VERSION;
/**
 * Shortest PAGEKEEPER_ADMIN_KEY, PAGEKEEPER_METRICS_KEY and PAGEKEEPER_FORWARD_SECRET accepted:
 * `openssl rand -base64 24` gives 32 characters; anything under 20 is guessable at leisure.
 */
export const MIN_SECRET_LENGTH = 20;

/** The configuration every entry point (CLI, service, library) is built from. */
export interface PageKeeperConfig {
  appId: string | undefined;
  appSecret: string | undefined;
  /** Raw PAGEKEEPER_KEYS text (`id:base64,...`); parsed and checked by the store's keyring. */
  keys: string | undefined;
  database: string;
  graphUrl: string;
  dialogUrl: string;
  graphVersion: string;
  /** PAGEKEEPER_LOGIN_CONFIG_ID: a Business app's Facebook Login for Business configuration; the dialog uses it instead of `scope`. */
  loginConfigId: string | undefined;
  publicUrl: string | undefined;
  verifyToken: string | undefined;
  adminKey: string | undefined;
  forwardUrl: string | undefined;
  /** PAGEKEEPER_RETURN_ORIGINS: comma-separated origins connect links may return to. */
  returnOrigins: string | undefined;
  notifyWebhookUrl: string | undefined;
  notifyWebhookSecret: string | undefined;
  /** PAGEKEEPER_DB_POOL_SIZE: PostgreSQL connections per process (default in src/store/open-database.ts). */
  dbPoolSize: number | undefined;
  /** PAGEKEEPER_DB_STATEMENT_TIMEOUT_MS: PostgreSQL statement_timeout per connection. */
  dbStatementTimeoutMs: number | undefined;
  /** PAGEKEEPER_DB_AUTO_MIGRATE=false: refuse a behind schema instead of migrating it at start. */
  dbAutoMigrate: boolean;
  /** PAGEKEEPER_INSTAGRAM=true: the Login dialog also asks for the Instagram messaging scopes (docs/instagram.md). */
  instagram?: boolean;
  /** PAGEKEEPER_TRUST_PROXY: the reverse proxies whose X-Forwarded-For is believed (Fastify's trustProxy). */
  trustProxy: string[] | number | undefined;
  /** PAGEKEEPER_METRICS_KEY: when set, GET /metrics needs `Authorization: Bearer <key>`. */
  metricsKey: string | undefined;
  /** PAGEKEEPER_FORWARD_SECRET: signs what is forwarded to PAGEKEEPER_FORWARD_URL. */
  forwardSecret: string | undefined;
  /** PAGEKEEPER_WEBHOOK_FIELDS: Page webhook fields connected Pages are subscribed with. */
  webhookFields: string[];
}

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s === undefined || s === '' ? undefined : s));

const url = (name: string) =>
  z.string().refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, `${name} must be an http(s) URL`);

const positiveInt = (name: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^[1-9]\d*$/, `${name} must be a positive whole number`)
      .transform(Number)
      .optional(),
  );

const EnvSchema = z.object({
  PAGEKEEPER_APP_ID: optionalText.pipe(z.string().regex(/^\d+$/, 'PAGEKEEPER_APP_ID must be the numeric app id').optional()),
  PAGEKEEPER_APP_SECRET: optionalText,
  PAGEKEEPER_KEYS: optionalText,
  PAGEKEEPER_DATABASE: optionalText.transform((s) => s ?? DEFAULT_DATABASE),
  PAGEKEEPER_GRAPH_URL: optionalText.transform((s) => s ?? DEFAULT_GRAPH_URL).pipe(url('PAGEKEEPER_GRAPH_URL')),
  PAGEKEEPER_DIALOG_URL: optionalText.transform((s) => s ?? DEFAULT_DIALOG_URL).pipe(url('PAGEKEEPER_DIALOG_URL')),
  PAGEKEEPER_GRAPH_VERSION: optionalText
    .transform((s) => s ?? DEFAULT_GRAPH_VERSION)
    .pipe(z.string().regex(/^v\d+\.\d+$/, 'PAGEKEEPER_GRAPH_VERSION looks like v25.0')),
  PAGEKEEPER_LOGIN_CONFIG_ID: optionalText.pipe(z.string().regex(/^\d+$/, 'PAGEKEEPER_LOGIN_CONFIG_ID must be the numeric configuration id (App Dashboard > Facebook Login for Business > Configurations)').optional()),
  PAGEKEEPER_PUBLIC_URL: optionalText.pipe(url('PAGEKEEPER_PUBLIC_URL').optional()),
  PAGEKEEPER_VERIFY_TOKEN: optionalText,
  PAGEKEEPER_ADMIN_KEY: optionalText.pipe(z.string().min(MIN_SECRET_LENGTH, `PAGEKEEPER_ADMIN_KEY must be at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 24)`).optional()),
  PAGEKEEPER_FORWARD_URL: optionalText.pipe(url('PAGEKEEPER_FORWARD_URL').optional()),
  PAGEKEEPER_RETURN_ORIGINS: optionalText,
  PAGEKEEPER_NOTIFY_WEBHOOK_URL: optionalText.pipe(url('PAGEKEEPER_NOTIFY_WEBHOOK_URL').optional()),
  PAGEKEEPER_NOTIFY_WEBHOOK_SECRET: optionalText,
  PAGEKEEPER_DB_POOL_SIZE: positiveInt('PAGEKEEPER_DB_POOL_SIZE'),
  PAGEKEEPER_DB_STATEMENT_TIMEOUT_MS: positiveInt('PAGEKEEPER_DB_STATEMENT_TIMEOUT_MS'),
  PAGEKEEPER_DB_AUTO_MIGRATE: optionalText.pipe(z.enum(['true', 'false'], 'PAGEKEEPER_DB_AUTO_MIGRATE must be true or false').optional()),
  PAGEKEEPER_INSTAGRAM: optionalText.pipe(z.enum(['true', 'false'], 'PAGEKEEPER_INSTAGRAM must be true or false').optional()),
  PAGEKEEPER_TRUST_PROXY: optionalText.transform((s, ctx) => {
    if (s === undefined) return undefined;
    const r = parseTrustProxy(s);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r.value;
  }),
  PAGEKEEPER_METRICS_KEY: optionalText.pipe(z.string().min(MIN_SECRET_LENGTH, `PAGEKEEPER_METRICS_KEY must be at least ${MIN_SECRET_LENGTH} characters`).optional()),
  PAGEKEEPER_FORWARD_SECRET: optionalText.pipe(z.string().min(MIN_SECRET_LENGTH, `PAGEKEEPER_FORWARD_SECRET must be at least ${MIN_SECRET_LENGTH} characters`).optional()),
  PAGEKEEPER_WEBHOOK_FIELDS: optionalText.transform((s, ctx) => {
    if (s === undefined) return [...DEFAULT_WEBHOOK_FIELDS];
    const r = parseWebhookFields(s);
    if (r.ok) return r.fields;
    ctx.addIssue({ code: 'custom', message: r.problem });
    return z.NEVER;
  }),
});

/** Reads `.env` in `cwd` (if any) without letting it override the real environment. */
export function readDotEnv(cwd: string): Record<string, string> {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * Builds the configuration from the environment and `.env`. The environment wins over `.env`,
 * except that an empty environment value falls back to `.env` (so `PAGEKEEPER_KEYS=` in a
 * shell does not hide the key `pagekeeper init` wrote).
 */
export function loadConfig(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): PageKeeperConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const fromFile = readDotEnv(cwd);
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (k.startsWith('PAGEKEEPER_') && v !== undefined && v !== '') merged[k] = v;
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    // The message names the variable, never its value: values may be secrets.
    throw pkError('PK_CONFIG_INVALID', { name, detail: issue?.message ?? 'invalid' });
  }
  const e = parsed.data;
  // Separate secrets: whoever receives health alerts must not be able to forge Messenger events.
  if (e.PAGEKEEPER_FORWARD_SECRET !== undefined && e.PAGEKEEPER_FORWARD_SECRET === e.PAGEKEEPER_NOTIFY_WEBHOOK_SECRET) {
    throw pkError('PK_CONFIG_INVALID', { name: 'PAGEKEEPER_FORWARD_SECRET', detail: 'it must differ from PAGEKEEPER_NOTIFY_WEBHOOK_SECRET' });
  }
  return {
    appId: e.PAGEKEEPER_APP_ID,
    appSecret: e.PAGEKEEPER_APP_SECRET,
    keys: e.PAGEKEEPER_KEYS,
    database: e.PAGEKEEPER_DATABASE,
    graphUrl: e.PAGEKEEPER_GRAPH_URL.replace(/\/+$/, ''),
    dialogUrl: e.PAGEKEEPER_DIALOG_URL.replace(/\/+$/, ''),
    graphVersion: e.PAGEKEEPER_GRAPH_VERSION,
    loginConfigId: e.PAGEKEEPER_LOGIN_CONFIG_ID,
    publicUrl: e.PAGEKEEPER_PUBLIC_URL?.replace(/\/+$/, ''),
    verifyToken: e.PAGEKEEPER_VERIFY_TOKEN,
    adminKey: e.PAGEKEEPER_ADMIN_KEY,
    forwardUrl: e.PAGEKEEPER_FORWARD_URL,
    returnOrigins: e.PAGEKEEPER_RETURN_ORIGINS,
    notifyWebhookUrl: e.PAGEKEEPER_NOTIFY_WEBHOOK_URL,
    notifyWebhookSecret: e.PAGEKEEPER_NOTIFY_WEBHOOK_SECRET,
    dbPoolSize: e.PAGEKEEPER_DB_POOL_SIZE,
    dbStatementTimeoutMs: e.PAGEKEEPER_DB_STATEMENT_TIMEOUT_MS,
    dbAutoMigrate: e.PAGEKEEPER_DB_AUTO_MIGRATE !== 'false',
    instagram: e.PAGEKEEPER_INSTAGRAM === 'true',
    trustProxy: e.PAGEKEEPER_TRUST_PROXY,
    metricsKey: e.PAGEKEEPER_METRICS_KEY,
    forwardSecret: e.PAGEKEEPER_FORWARD_SECRET,
    webhookFields: e.PAGEKEEPER_WEBHOOK_FIELDS,
  };
}

/** The database tuning createPageKeeper takes, from the configuration. */
export function dbOptions(config: PageKeeperConfig): { poolSize?: number; statementTimeoutMs?: number; migrate: boolean } {
  return {
    ...(config.dbPoolSize === undefined ? {} : { poolSize: config.dbPoolSize }),
    ...(config.dbStatementTimeoutMs === undefined ? {} : { statementTimeoutMs: config.dbStatementTimeoutMs }),
    migrate: config.dbAutoMigrate,
  };
}

/** Narrows a config value that a command cannot do without. */
export function requireSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw pkError('PK_CONFIG_MISSING', { name });
  return value;
}
