/**
 * `pagekeeper api-keys create --name N [--scopes a,b] | list | revoke <id>`: keys for the REST
 * API of `pagekeeper serve`. A key is printed once, at creation; only its SHA-256 is stored.
 */
import { pkError } from '../../errors.js';
import { createApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from '../../service/api-keys/create-api-key-store.js';
import { DEFAULT_SCOPES, parseScopes, SCOPES } from '../../service/api-keys/scopes.js';
import { createApiKeyRepository } from '../../store/api-key-repository.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase } from '../../store/open-database.js';
import type { CommandContext, CommandResult } from '../context.js';
import { cliConfig } from '../open-page-keeper.js';
import { paint, table } from '../output.js';

interface ApiKeysOptions {
  name?: string;
  scopes?: string;
}

/** API keys need the database only (no encryption key: nothing here is encrypted). */
async function withApiKeys<T>(ctx: CommandContext, fn: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const config = cliConfig(ctx);
  const { db, dialect } = await openDatabase(config.database, { cwd: ctx.cwd });
  try {
    await migrateToLatest(db, dialect);
    return await fn(createApiKeyStore(createApiKeyRepository(db), { cacheTtlMs: 0 }));
  } finally {
    await db.destroy();
  }
}

const recordJson = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult> {
  const opts = options as ApiKeysOptions;
  const [action, id] = args;
  const p = paint(ctx.color);
  switch (action) {
    case 'create': {
      if (typeof opts.name !== 'string' || opts.name.trim() === '') throw pkError('PK_USAGE', { detail: 'api-keys create needs --name NAME' });
      let scopes = [...DEFAULT_SCOPES];
      if (opts.scopes !== undefined) {
        const parsed = parseScopes(opts.scopes);
        if (parsed.unknown.length > 0) throw pkError('PK_USAGE', { detail: `unknown scope(s) ${parsed.unknown.join(', ')}; known: ${SCOPES.join(', ')}` });
        if (parsed.scopes.length === 0) throw pkError('PK_USAGE', { detail: `--scopes needs at least one of ${SCOPES.join(', ')}` });
        scopes = parsed.scopes;
      }
      const created = await withApiKeys(ctx, (keys) => keys.create({ name: opts.name!, scopes }));
      return {
        data: { id: created.id, name: created.name, scopes: created.scopes, key: created.key },
        human: [
          `Created API key ${p.bold(created.id)} (${created.name}) with scopes ${created.scopes.join(', ')}.`,
          '',
          `  ${created.key}`,
          '',
          p.warn('This is the only time the key is shown; pagekeeper stores only its hash. Send it as `Authorization: Bearer <key>`.'),
        ].join('\n'),
      };
    }
    case 'list': {
      const list = await withApiKeys(ctx, (keys) => keys.list());
      const rows = list.map((k) => [k.id, k.name, k.scopes.join(','), k.createdAt.toISOString().slice(0, 16), k.revokedAt ? p.bad(`revoked ${k.revokedAt.toISOString().slice(0, 16)}`) : p.ok('active'), k.lastUsedAt?.toISOString().slice(0, 16) ?? 'never']);
      return {
        data: { keys: list.map(recordJson) },
        human: list.length === 0 ? 'No API keys yet. Create one with `pagekeeper api-keys create --name NAME --scopes pages:read`.' : table(['ID', 'NAME', 'SCOPES', 'CREATED', 'STATUS', 'LAST USED'], rows, p),
      };
    }
    case 'revoke': {
      if (!id) throw pkError('PK_USAGE', { detail: 'api-keys revoke needs the key id (see `pagekeeper api-keys list`)' });
      const record = await withApiKeys(ctx, (keys) => keys.revoke(id));
      return { data: recordJson(record), human: `Revoked API key ${record.id} (${record.name}); requests with it now get 401.` };
    }
    default:
      throw pkError('PK_USAGE', { detail: 'use `api-keys create --name NAME [--scopes a,b]`, `api-keys list` or `api-keys revoke ID`' });
  }
}
