/**
 * Builds a PageKeeper from the CLI's configuration (environment and .env in the command's cwd).
 * Keys are checked before the app settings so that a missing key is the first thing a person
 * hears about: nothing can be stored without one.
 */
import { dbOptions, loadConfig, requireSetting, type PageKeeperConfig } from '../config/load-config.js';
import { createPageKeeper, type PageKeeper } from '../pagekeeper.js';
import { parseKeys } from '../store/crypto/parse-keys.js';
import type { CommandContext } from './context.js';

export function cliConfig(ctx: Pick<CommandContext, 'cwd' | 'env'>): PageKeeperConfig {
  return loadConfig({ cwd: ctx.cwd, env: ctx.env });
}

export async function openPageKeeper(ctx: Pick<CommandContext, 'cwd' | 'env'>): Promise<PageKeeper> {
  const config = cliConfig(ctx);
  parseKeys(config.keys);
  return createPageKeeper({
    appId: requireSetting(config.appId, 'PAGEKEEPER_APP_ID'),
    appSecret: requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET'),
    database: config.database,
    db: dbOptions(config),
    keys: config.keys,
    graphUrl: config.graphUrl,
    graphVersion: config.graphVersion,
    dialogUrl: config.dialogUrl,
    webhookFields: config.webhookFields,
    ...(config.loginConfigId ? { loginConfigId: config.loginConfigId } : {}),
    cwd: ctx.cwd,
    instagram: config.instagram === true,
  });
}

/** Runs `fn` with a PageKeeper and always closes it. */
export async function withPageKeeper<T>(ctx: Pick<CommandContext, 'cwd' | 'env'>, fn: (pk: PageKeeper) => Promise<T>): Promise<T> {
  const pk = await openPageKeeper(ctx);
  try {
    return await fn(pk);
  } finally {
    await pk.close();
  }
}
