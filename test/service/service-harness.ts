/**
 * Test harness: the real library (createPageKeeper) over an in-memory SQLite store, pointed at
 * an in-process emulator, with the service built on top. Closes itself when the test ends.
 */
import { onTestFinished } from 'vitest';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { createPageKeeper, type PageKeeper } from '../../src/pagekeeper.js';
import { createServiceDeps, type ServiceSettings } from '../../src/service/create-service-deps.js';
import type { OutboxPort, ServiceDeps } from '../../src/service/deps.js';
import { outboxPortOf } from '../../src/service/service-extensions.js';
import { buildServer, type BuildServerOptions, type PageKeeperServer } from '../../src/service/server/build-server.js';
import type { Scope } from '../../src/service/api-keys/scopes.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

export interface Harness {
  emu: TestEmulator;
  pk: PageKeeper;
  deps: ServiceDeps;
  server: PageKeeperServer;
  /** Creates a key with these scopes and returns it. */
  key(scopes: Scope[]): Promise<string>;
  /** Connects the emulator's first user through the library; returns the page ids. */
  connectFirstUser(): Promise<string[]>;
}

export async function startService(
  settings: Partial<ServiceSettings> = {},
  options: BuildServerOptions & { outbox?: OutboxPort | 'library'; connect?: boolean } = {},
): Promise<Harness> {
  const emu = await startTestEmulator();
  const pk = await createPageKeeper({
    appId: emu.appId,
    appSecret: emu.appSecret,
    database: 'sqlite::memory:',
    keys: generateKeyEntry('t1'),
    graphUrl: emu.url,
    dialogUrl: emu.dialogUrl,
  });
  const deps = createServiceDeps(
    pk,
    {
      publicUrl: 'http://127.0.0.1:1',
      verifyToken: 'verify-me',
      adminKey: 'admin-key-for-tests-0123456789',
      forwardUrl: undefined,
      notifyWebhookSecret: undefined,
      keys: undefined,
      devOpenDashboard: false,
      ...settings,
    },
    { apiKeys: { cacheTtlMs: 0 }, ...(options.outbox ? { outbox: options.outbox === 'library' ? outboxPortOf(pk) : options.outbox } : {}) },
  );
  const server = await buildServer(deps, options);
  onTestFinished(async () => {
    await server.shutdown(2000);
    await pk.close();
  });
  return {
    emu,
    pk,
    deps,
    server,
    key: async (scopes) => (await deps.apiKeys.create({ name: 'test', scopes })).key,
    connectFirstUser: async () => (await pk.connect(emu.users[0]!.shortLivedToken)).pages.map((p) => p.id),
  };
}
