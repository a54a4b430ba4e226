/**
 * Test harness: the service as createService builds it for `pagekeeper serve`, over an
 * in-memory SQLite store, pointed at an in-process emulator, not listening (tests inject or
 * listen themselves) and without workers. Closes itself when the test ends.
 */
import { onTestFinished } from 'vitest';
import { loadConfig, type PageKeeperConfig } from '../../src/config/load-config.js';
import type { PageKeeper } from '../../src/pagekeeper.js';
import { createService } from '../../src/service/create-service.js';
import type { OutboxPort, ServiceDeps } from '../../src/service/deps.js';
import type { BuildServerOptions, PageKeeperServer } from '../../src/service/server/build-server.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
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

/** The service's configuration over the emulator: in-memory SQLite, a fresh key, no environment. */
export function emulatorServiceConfig(emu: TestEmulator, overrides: Partial<PageKeeperConfig> = {}): PageKeeperConfig {
  return {
    // Defaults only: no environment, and no .env file in this folder.
    ...loadConfig({ cwd: import.meta.dirname, env: {} }),
    appId: emu.appId,
    appSecret: emu.appSecret,
    database: 'sqlite::memory:',
    keys: generateKeyEntry('t1'),
    graphUrl: emu.url,
    dialogUrl: emu.dialogUrl,
    ...overrides,
  };
}

export async function startService(
  settings: Partial<PageKeeperConfig> & { devOpenDashboard?: boolean } = {},
  options: BuildServerOptions & { outbox?: OutboxPort | 'library'; connect?: boolean } = {},
): Promise<Harness> {
  const emu = await startTestEmulator();
  const { outbox: _outbox, connect: _connect, ...serverOptions } = options;
  const service = await createService({
    config: emulatorServiceConfig(emu, {
      publicUrl: 'http://127.0.0.1:1',
      verifyToken: 'verify-me',
      adminKey: 'admin-key-for-tests-0123456789',
      forwardUrl: undefined,
      notifyWebhookSecret: undefined,
      ...settings,
    }),
    listen: false,
    outboxWorker: false,
    healthScheduler: false,
    devOpenDashboard: settings.devOpenDashboard === true,
    apiKeys: { cacheTtlMs: 0 },
    // 'library': the PageKeeper's own outbox, as serve has it; otherwise the port given, or none.
    ...(options.outbox === 'library' ? {} : { outbox: options.outbox ?? false }),
    server: serverOptions,
  });
  const { pk, deps, server } = service;
  onTestFinished(() => service.close(2000));
  return {
    emu,
    pk,
    deps,
    server,
    key: async (scopes) => (await deps.apiKeys.create({ name: 'test', scopes })).key,
    connectFirstUser: async () => (await pk.connect(emu.users[0]!.shortLivedToken)).pages.map((p) => p.id),
  };
}
