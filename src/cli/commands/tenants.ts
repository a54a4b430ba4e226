/**
 * `pagekeeper tenants create --id ID --name NAME | list | delete ID`: the customers of a product
 * built on pagekeeper. Each tenant's Pages, tokens and outbox live in its own partition of the
 * database; `delete` removes the partition with everything in it. A running `pagekeeper serve`
 * picks the change up within ten seconds.
 */
import { dbOptions } from '../../config/load-config.js';
import { pkError } from '../../errors.js';
import { createStore, type Store } from '../../store/create-store.js';
import { DEFAULT_TENANT_ID, dropTenantPartition, TENANT_ID_PATTERN } from '../../store/tenant-partition.js';
import type { StoredTenant } from '../../store/tenant-repository.js';
import type { CommandContext, CommandResult } from '../context.js';
import { cliConfig } from '../open-page-keeper.js';
import { paint, table } from '../output.js';

interface TenantsOptions {
  id?: string;
  name?: string;
}

async function withStore<T>(ctx: CommandContext, fn: (store: Store, database: string) => Promise<T>): Promise<T> {
  const config = cliConfig(ctx);
  const store = await createStore({ ...dbOptions(config), database: config.database, keys: config.keys, cwd: ctx.cwd });
  try {
    return await fn(store, config.database);
  } finally {
    await store.close();
  }
}

const tenantJson = (t: StoredTenant) => ({ id: t.id, name: t.name, forwardUrl: t.forwardUrl, alertUrl: t.alertUrl, createdAt: t.createdAt.toISOString() });

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult> {
  const opts = options as TenantsOptions;
  const [action, idArg] = args;
  const p = paint(ctx.color);
  switch (action) {
    case 'create': {
      const id = opts.id ?? idArg;
      if (typeof id !== 'string' || !TENANT_ID_PATTERN.test(id)) throw pkError('PK_USAGE', { detail: 'tenants create needs --id ID: 1 to 64 letters, digits, "-" or "_" (your own customer id)' });
      const name = (opts.name ?? '').trim();
      if (name === '' || name.length > 200) throw pkError('PK_USAGE', { detail: 'tenants create needs --name NAME (1 to 200 characters)' });
      const t = await withStore(ctx, async (store) => {
        if (!(await store.tenants.insert({ id, name }))) throw pkError('PK_TENANT_EXISTS', { tenantId: id });
        return (await store.tenants.get(id))!;
      });
      return { data: tenantJson(t), human: `Created tenant ${p.bold(t.id)} (${t.name}). Give it a key: \`pagekeeper api-keys create --name NAME --tenant ${t.id} --scopes pages:read,connect:write\`.` };
    }
    case 'list': {
      const list = await withStore(ctx, (store) => store.tenants.list());
      return {
        data: { tenants: list.map(tenantJson) },
        human: table(['ID', 'NAME', 'FORWARD URL', 'CREATED'], list.map((t) => [t.id, t.name, t.forwardUrl ? new URL(t.forwardUrl).origin : '-', t.createdAt.toISOString().slice(0, 16)]), p),
      };
    }
    case 'delete': {
      const id = idArg ?? opts.id;
      if (!id) throw pkError('PK_USAGE', { detail: 'tenants delete needs the tenant id (see `pagekeeper tenants list`)' });
      if (id === DEFAULT_TENANT_ID) throw pkError('PK_USAGE', { detail: 'the default tenant holds the data stored before tenants and cannot be deleted' });
      await withStore(ctx, async (store, database) => {
        if (!(await store.tenants.delete(id))) throw pkError('PK_TENANT_NOT_FOUND', { tenantId: id });
        await dropTenantPartition(database, id, ctx.cwd);
      });
      return { data: { id, deleted: true }, human: `Deleted tenant ${id} with its Pages, tokens and outbox; its API keys no longer work.` };
    }
    default:
      throw pkError('PK_USAGE', { detail: 'use `tenants create --id ID --name NAME`, `tenants list` or `tenants delete ID`' });
  }
}
