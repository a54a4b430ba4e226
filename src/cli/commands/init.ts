import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { CommandContext, CommandResult } from '../context.js';

export interface InitResult {
  path: string;
  created: boolean;
  keyAdded: boolean;
}

const TEMPLATE = (keyLine: string) => `# pagekeeper configuration. Keep this file private: it holds the key that encrypts every stored token.
# Never commit it. Losing the key means reconnecting every Page.

# From your Facebook app's dashboard (App settings > Basic).
PAGEKEEPER_APP_ID=
PAGEKEEPER_APP_SECRET=

# Encryption keys: id:base64(32 bytes), comma-separated, the first is active.
# To rotate: put a new key first, keep the old one after it, run \`pagekeeper keys rotate\`.
${keyLine}

# Where tokens are stored: sqlite:FILE (default) or postgres://user:pass@host/db
PAGEKEEPER_DATABASE=sqlite:pagekeeper.db

# Graph API version pagekeeper pins (see https://developers.facebook.com/docs/graph-api/changelog).
PAGEKEEPER_GRAPH_VERSION=v25.0

# For \`pagekeeper serve\`: the public base URL (Facebook Login redirects to PUBLIC_URL/oauth/callback)
# and the verify token you enter in the app's Messenger webhook settings.
# PAGEKEEPER_PUBLIC_URL=https://pagekeeper.example.com
# PAGEKEEPER_VERIFY_TOKEN=
`;

function freshKeyLine(): string {
  return `PAGEKEEPER_KEYS=k1:${randomBytes(32).toString('base64')}`;
}

/** `pagekeeper init`: writes .env with a fresh key and placeholders; never replaces an existing key. */
export async function run(ctx: CommandContext): Promise<CommandResult<InitResult>> {
  const path = join(ctx.cwd, '.env');
  if (!existsSync(path)) {
    writeFileSync(path, TEMPLATE(freshKeyLine()), { mode: 0o600 });
    return {
      data: { path, created: true, keyAdded: true },
      human: `Wrote ${path} with a fresh encryption key.\nNext: fill in PAGEKEEPER_APP_ID and PAGEKEEPER_APP_SECRET, then run \`pagekeeper connect\`.\nKeep .env private and out of version control.`,
    };
  }
  const text = readFileSync(path, 'utf8');
  const existing = parseEnv(text).PAGEKEEPER_KEYS;
  if (existing !== undefined && existing.trim() !== '') {
    return { data: { path, created: false, keyAdded: false }, human: `${path} already has an encryption key; left unchanged.` };
  }
  // A PAGEKEEPER_KEYS= line with no value is filled in; otherwise the key is appended.
  const next = /^PAGEKEEPER_KEYS=\s*$/m.test(text)
    ? text.replace(/^PAGEKEEPER_KEYS=\s*$/m, freshKeyLine())
    : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${freshKeyLine()}\n`;
  writeFileSync(path, next, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { data: { path, created: false, keyAdded: true }, human: `Added a fresh encryption key to ${path}.` };
}
