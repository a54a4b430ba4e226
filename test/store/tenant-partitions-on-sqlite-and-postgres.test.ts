/**
 * Tenants on both databases: today's data becomes the default tenant's when 0008_tenants runs,
 * and each other tenant's Pages live in its own partition (a SQLite file, a PostgreSQL schema)
 * that deleting the tenant removes.
 */
import { existsSync } from 'node:fs';
import { Migrator, sql } from 'kysely';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { createServiceDeps } from '../../src/service/create-service-deps.js';
import { createTenantRegistry } from '../../src/service/tenants/tenant-registry.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openDatabase } from '../../src/store/open-database.js';
import { tenantPartition } from '../../src/store/tenant-partition.js';
import { databaseBackends } from '../helpers/databases.js';
import { startTestEmulator } from '../helpers/emulator.js';

const dbs = await databaseBackends('tenant partitions');
const keys = generateKeyEntry('t1');
const settings = { publicUrl: undefined, verifyToken: undefined, adminKey: undefined, forwardUrl: undefined, notifyWebhookSecret: undefined, keys, devOpenDashboard: false };

describe.each(dbs)('tenants on $name', (backend) => {
  beforeEach((ctx) => {
    if (backend.skipped) ctx.skip(backend.skipped);
  });

  it("0008_tenants makes today's Pages and keys the default tenant's, untouched", async () => {
    const url = await backend.fresh();
    const { db, dialect } = await openDatabase(url);
    onTestFinished(() => db.destroy());
    await migrateToLatest(db, dialect);
    const migrator = new Migrator({ db, provider: migrationProvider(dialect), migrationTableName: 'kysely_migration' });
    // Back to the schema before tenants: 0008_tenants and the migrations after it are undone.
    const down = (await migrator.migrateTo('0007_token_kind')).results ?? [];
    expect(down.map((r) => r.status)).not.toContain('Error');
    expect(down.map((r) => r.migrationName)).toContain('0008_tenants');
    await sql`insert into pages (id, name, status, connected_at, updated_at) values ('111', 'Old Page', 'healthy', 1, 1)`.execute(db);
    await sql`insert into api_keys (id, name, scopes, key_hash, created_at) values ('key_old', 'old', '["pages:read"]', 'abc', 1)`.execute(db);

    expect(await migrateToLatest(db, dialect)).toEqual(down.map((r) => r.migrationName).reverse());
    expect((await sql<{ id: string }>`select id from tenants`.execute(db)).rows.map((r) => r.id)).toEqual(['default']);
    expect((await sql<{ tenant_id: string | null; page_ids: string | null }>`select tenant_id, page_ids from api_keys`.execute(db)).rows).toEqual([{ tenant_id: null, page_ids: null }]);
    expect((await sql<{ id: string }>`select id from pages`.execute(db)).rows.map((r) => r.id)).toEqual(['111']);
  });

  it("a Page two tenants connect is stored in each tenant's own partition; deleting a tenant removes its partition", async () => {
    const url = await backend.fresh();
    const emu = await startTestEmulator();
    const alice = emu.users[0]!;
    const pageId = alice.pages[0]!.id;
    const bob = await emu.control.createUser({ name: 'Bob', pages: [{ id: pageId }] });
    const root = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: url, keys, graphUrl: emu.url });
    const registry = createTenantRegistry({ root, rootDeps: createServiceDeps(root, settings), database: url, keys, settings, workers: false, syncEveryMs: 0 });
    onTestFinished(async () => {
      await registry.close();
      await root.close();
      await emu.close();
    });
    await registry.start();
    await registry.create({ id: 'acme', name: 'Acme' });
    const acme = (await registry.get('acme'))!;
    await acme.pk.connect(alice.shortLivedToken);
    await root.connect(bob.shortLivedToken);

    const tokensIn = async (pk: typeof root) => (await pk.context.store.pageTokens.listForPage(pageId)).map((t) => t.userId);
    expect(await tokensIn(acme.pk)).toEqual([alice.id]);
    expect(await tokensIn(root)).toEqual([bob.id]);
    // Bob losing his token changes the default tenant's Page only.
    await emu.control.event(bob.id, 'password_changed');
    await root.check();
    await acme.pk.check();
    expect((await root.context.store.pages.get(pageId))!.status).toBe('needs_reauth');
    expect((await acme.pk.context.store.pages.get(pageId))!.status).toBe('healthy');

    const partition = tenantPartition(url, 'acme');
    const { db } = await openDatabase(url);
    onTestFinished(() => db.destroy());
    const exists = async () =>
      partition.schema !== undefined
        ? (await sql<{ n: number }>`select count(*)::int as n from information_schema.schemata where schema_name = ${partition.schema}`.execute(db)).rows[0]!.n === 1
        : existsSync(partition.database.slice('sqlite:'.length));
    expect(await exists()).toBe(true);
    await registry.delete('acme');
    expect(await exists()).toBe(false);
    expect(await registry.get('acme')).toBeUndefined();
    expect(await tokensIn(root)).toEqual([bob.id]);
  });
});
