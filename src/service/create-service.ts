/**
 * The one way pagekeeper's service is put together, for `pagekeeper serve`, the benchmarks and
 * the tests: a PageKeeper from the configuration, the work that runs beside the server (outbox
 * worker, health scheduler), the routes' dependencies, the tenant registry (each tenant's
 * PageKeeper and workers, src/service/tenants/) and the server, in that order. The
 * service's configuration is complete before the server is built: without PAGEKEEPER_PUBLIC_URL
 * the public URL is the listen address, known up front for a fixed port; for port 0 (tests,
 * benchmarks) it is read from the socket once it is bound.
 */
import type { AddressInfo } from 'node:net';
import { dbOptions, requireSetting, type PageKeeperConfig } from '../config/load-config.js';
import type { HealthSchedulerOptions } from '../health/start-health-scheduler.js';
import type { WorkerOptions } from '../messenger/worker.js';
import { createPageKeeper, type PageKeeper, type PageKeeperOptions } from '../pagekeeper.js';
import type { ApiKeyStoreOptions } from './api-keys/create-api-key-store.js';
import { createServiceDeps, type ServiceSettings } from './create-service-deps.js';
import type { MetricSample, OutboxPort, ServiceDeps } from './deps.js';
import { buildServer, type BuildServerOptions, type PageKeeperServer } from './server/build-server.js';
import { createServiceExtensions, type ServiceWorker } from './service-extensions.js';
import { parseReturnOrigins } from './tenants/connect-sessions.js';
import { createTenantRegistry, type TenantRegistry, type TenantRegistryOptions } from './tenants/tenant-registry.js';

export interface CreateServiceOptions {
  /** loadConfig's result, with whatever the caller overrides (the `--emulator` playground's). */
  config: PageKeeperConfig;
  /** Relative SQLite paths resolve against this. */
  cwd?: string;
  /** A pino logger for requests and the library (never given a secret); default none. */
  logger?: BuildServerOptions['logger'];
  /** Where to listen; `false`: build only (tests drive it with inject). */
  listen?: { host: string; port: number } | false;
  /** The rest of createPageKeeper's options (Graph observer, notifiers, clock, ...). */
  pageKeeper?: Partial<Omit<PageKeeperOptions, 'appId' | 'appSecret' | 'database' | 'keys' | 'graphUrl' | 'graphVersion' | 'dialogUrl'>>;
  /** The outbox the REST API enqueues into; default the PageKeeper's; `false`: none (503). */
  outbox?: OutboxPort | false;
  /** `false`: no such worker in this process. */
  outboxWorker?: WorkerOptions | false;
  healthScheduler?: HealthSchedulerOptions | false;
  /** Only with a loopback listen address: the dashboard opens without the admin login. */
  devOpenDashboard?: boolean;
  apiKeys?: ApiKeyStoreOptions;
  /** More Prometheus samples (Graph calls by outcome). */
  metrics?: () => MetricSample[];
  /** Server tuning; its `logger`, when given, logs requests only (not the library). */
  server?: BuildServerOptions;
  /** How often the tenants table is re-read, ms (the registry's default when absent; 0: never). */
  tenantSyncEveryMs?: TenantRegistryOptions['syncEveryMs'];
}

export interface Service {
  pk: PageKeeper;
  deps: ServiceDeps;
  server: PageKeeperServer;
  /** Where it listens (`http://host:port`); undefined when built with `listen: false`. */
  url: string | undefined;
  workers: ServiceWorker[];
  /** The tenants this service holds, each in its own partition with its own workers (src/service/tenants/). */
  tenants: TenantRegistry;
  /** Starts the workers and the tenants' (after the server listens). */
  startWorkers(): Promise<void>;
  /** Stops workers and tenants, the server, then the PageKeeper, all within `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

const DEFAULT_CLOSE_MS = 9_000;

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function createService(options: CreateServiceOptions): Promise<Service> {
  const { config } = options;
  const pk = await createPageKeeper({
    ...options.pageKeeper,
    appId: requireSetting(config.appId, 'PAGEKEEPER_APP_ID'),
    appSecret: requireSetting(config.appSecret, 'PAGEKEEPER_APP_SECRET'),
    database: config.database,
    db: { ...dbOptions(config), ...options.pageKeeper?.db },
    keys: config.keys,
    graphUrl: config.graphUrl,
    dialogUrl: config.dialogUrl,
    graphVersion: config.graphVersion,
    webhookFields: config.webhookFields,
    ...(config.loginConfigId ? { loginConfigId: config.loginConfigId } : {}),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // PAGEKEEPER_INSTAGRAM: the Login dialog also asks for the Instagram messaging scopes.
    instagram: config.instagram === true,
    ...(options.logger && !options.pageKeeper?.logger ? { logger: options.logger } : {}),
  });
  try {
    const listen = options.listen === false ? undefined : options.listen;
    // The public URL: configured, else where this listens; a port of 0 is known once bound.
    let boundUrl: string | undefined;
    const fallbackUrl = listen && listen.port !== 0 ? urlOf(listen.host, listen.port) : undefined;
    const settings: ServiceSettings = {
      publicUrl: config.publicUrl ?? fallbackUrl,
      verifyToken: config.verifyToken,
      adminKey: config.adminKey,
      forwardUrl: config.forwardUrl,
      notifyWebhookSecret: config.notifyWebhookSecret,
      forwardSecret: config.forwardSecret,
      metricsKey: config.metricsKey,
      keys: config.keys,
      devOpenDashboard: options.devOpenDashboard === true,
    };
    const extensions = await createServiceExtensions({
      pk,
      logger: options.logger ?? pk.context.logger,
      ...(options.outboxWorker === undefined ? {} : { outboxWorker: options.outboxWorker }),
      ...(options.healthScheduler === undefined ? {} : { healthScheduler: options.healthScheduler }),
    });
    const outbox = options.outbox === false ? undefined : (options.outbox ?? extensions.outbox);
    const deps = createServiceDeps(pk, settings, {
      ...(outbox ? { outbox } : {}),
      ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    if (config.publicUrl === undefined && listen && listen.port === 0) {
      Object.defineProperty(deps.config, 'publicUrl', { get: () => boundUrl, enumerable: true });
      // Tenants opened later build their deps from these settings: they see the bound URL too.
      Object.defineProperty(settings, 'publicUrl', { get: () => boundUrl, enumerable: true });
    }
    // Tenants: each in its own partition of the database, with its own workers (src/service/tenants/).
    deps.config.returnOrigins = parseReturnOrigins(config.returnOrigins);
    const tenantWorkers = {
      ...(options.outboxWorker === undefined ? {} : { outboxWorker: options.outboxWorker }),
      ...(options.healthScheduler === undefined ? {} : { healthScheduler: options.healthScheduler }),
    };
    const tenants = createTenantRegistry({
      root: pk,
      rootDeps: deps,
      database: config.database,
      keys: config.keys,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      db: { ...dbOptions(config), ...options.pageKeeper?.db },
      settings,
      logger: options.logger ?? pk.context.logger,
      workers: tenantWorkers,
      ...(options.tenantSyncEveryMs === undefined ? {} : { syncEveryMs: options.tenantSyncEveryMs }),
      returnOrigins: deps.config.returnOrigins,
    });
    deps.tenants = tenants;
    const server = await buildServer(deps, {
      ...(options.logger ? { logger: options.logger } : {}),
      // PAGEKEEPER_TRUST_PROXY; options.server may still override it (tests).
      ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
      ...options.server,
    });
    let url: string | undefined;
    if (listen) {
      try {
        await server.app.listen({ host: listen.host, port: listen.port });
      } catch (e) {
        await Promise.allSettled([server.shutdown(1_000), tenants.close(1_000)]);
        throw e;
      }
      const addr = server.app.server.address() as AddressInfo;
      url = urlOf(addr.address, addr.port);
      boundUrl = url;
    }
    let closing: Promise<void> | undefined;
    return {
      pk,
      deps,
      server,
      url,
      workers: extensions.workers,
      tenants,
      async startWorkers() {
        for (const w of extensions.workers) await w.start();
        await tenants.start();
      },
      close(deadlineMs = DEFAULT_CLOSE_MS) {
        closing ??= (async () => {
          // Stop taking work, let in-flight work finish, close; all before the deadline.
          const deadline = Date.now() + deadlineMs;
          const left = () => Math.max(0, deadline - Date.now());
          const workersStopped = Promise.allSettled(extensions.workers.map((w) => w.stop(left())));
          const tenantsClosed = tenants.close(left());
          await server.shutdown(left());
          await Promise.race([Promise.allSettled([workersStopped, tenantsClosed]), new Promise((r) => setTimeout(r, left()).unref())]);
          await Promise.race([pk.close(), new Promise((r) => setTimeout(r, left()).unref())]);
        })();
        return closing;
      },
    };
  } catch (e) {
    await pk.close().catch(() => {});
    throw e;
  }
}
