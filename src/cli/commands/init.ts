import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { DEFAULT_GRAPH_VERSION } from '../../config/load-config.js';
import { pkError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../context.js';

export interface InitResult {
  path: string;
  created: boolean;
  keyAdded: boolean;
  /** The Graph version written into a new .env (with --pin-version), else null: pagekeeper follows its default. */
  pinnedVersion: string | null;
}

const optionsSchema = z.object({ pinVersion: z.union([z.literal(true), z.string()]).optional() });

/**
 * Without --pin-version the version line stays a comment, so each pagekeeper release moves to the
 * newest Graph version Meta lists instead of freezing the one of the day `init` ran.
 */
const versionBlock = (pinned: string | null) =>
  pinned === null
    ? `# Graph API version: unset, pagekeeper uses the newest one it knows (${DEFAULT_GRAPH_VERSION} in this release) and
# \`pagekeeper doctor\` warns 90 days before a version ends. Pin one only if you must
# (https://developers.facebook.com/docs/graph-api/changelog):
# PAGEKEEPER_GRAPH_VERSION=${DEFAULT_GRAPH_VERSION}`
    : `# Graph API version pagekeeper pins (see https://developers.facebook.com/docs/graph-api/changelog).
# \`pagekeeper doctor\` and the health sweep warn 90 days before it ends.
PAGEKEEPER_GRAPH_VERSION=${pinned}`;

const TEMPLATE = (keyLine: string, pinned: string | null) => `# pagekeeper configuration. Keep this file private: it holds the key that encrypts every stored token.
# Never commit it. Losing the key means reconnecting every Page.

# From your Facebook app's dashboard (App settings > Basic).
PAGEKEEPER_APP_ID=
PAGEKEEPER_APP_SECRET=

# Encryption keys: id:base64(32 bytes), comma-separated, the first is active.
# To rotate: put a new key first, keep the old one after it, run \`pagekeeper keys rotate\`.
${keyLine}

# Where tokens are stored: sqlite:FILE (default) or postgres://user@host/db. Keep the PostgreSQL
# password out of the URL: put it in PGPASSWORD or ~/.pgpass (docs/production.md).
PAGEKEEPER_DATABASE=sqlite:pagekeeper.db

${versionBlock(pinned)}

# For \`pagekeeper serve\`: the public base URL (Facebook Login redirects to PUBLIC_URL/oauth/callback)
# and the verify token you enter in the app's Messenger webhook settings.
# PAGEKEEPER_PUBLIC_URL=https://pagekeeper.example.com
# PAGEKEEPER_VERIFY_TOKEN=
`;

function freshKeyLine(): string {
  return `PAGEKEEPER_KEYS=k1:${randomBytes(32).toString('base64')}`;
}

/** `pagekeeper init`: writes .env with a fresh key and placeholders; never replaces an existing key. */
export async function run(ctx: CommandContext, _args: string[] = [], rawOptions: Record<string, unknown> = {}): Promise<CommandResult<InitResult>> {
  const options = optionsSchema.parse(rawOptions);
  const pinned = options.pinVersion === undefined ? null : options.pinVersion === true ? DEFAULT_GRAPH_VERSION : options.pinVersion;
  if (pinned !== null && !/^v\d+\.\d+$/.test(pinned)) throw pkError('PK_USAGE', { detail: `--pin-version takes a Graph version such as ${DEFAULT_GRAPH_VERSION}` });
  const path = join(ctx.cwd, '.env');
  if (!existsSync(path)) {
    writeFileSync(path, TEMPLATE(freshKeyLine(), pinned), { mode: 0o600 });
    return {
      data: { path, created: true, keyAdded: true, pinnedVersion: pinned },
      human: `Wrote ${path} with a fresh encryption key.\nNext: fill in PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET, then run \`pagekeeper connect\`.\nKeep .env private and out of version control.`,
    };
  }
  const text = readFileSync(path, 'utf8');
  const existing = parseEnv(text).PAGEKEEPER_KEYS;
  if (existing !== undefined && existing.trim() !== '') {
    return { data: { path, created: false, keyAdded: false, pinnedVersion: null }, human: `${path} already has an encryption key; left unchanged.` };
  }
  // A PAGEKEEPER_KEYS= line with no value is filled in; otherwise the key is appended.
  const next = /^PAGEKEEPER_KEYS=\s*$/m.test(text)
    ? text.replace(/^PAGEKEEPER_KEYS=\s*$/m, freshKeyLine())
    : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${freshKeyLine()}\n`;
  writeFileSync(path, next, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { data: { path, created: false, keyAdded: true, pinnedVersion: null }, human: `Added a fresh encryption key to ${path}.` };
}
