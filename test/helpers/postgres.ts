/**
 * A throwaway PostgreSQL for tests: initdb + pg_ctl from the machine's
 * binaries in a fresh temp directory, listening on a free 127.0.0.1 port with its unix socket
 * inside that directory. One cluster per test process, one fresh database per `startPostgres()`
 * call so suites never see each other's rows. PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` system user (or `nobody`) through `runuser`.
 *
 * Without binaries: `{ skipped: reason }` off CI, an error with CI=true (`.ci/run` installs them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type PostgresHandle = { url: string; stop(): Promise<void> };
export type PostgresResult = PostgresHandle | { skipped: string };

const PG_ROOT = '/usr/lib/postgresql';

interface Cluster {
  dir: string;
  data: string;
  bin: string;
  port: number;
  user: string | null;
  watchdog: ChildProcess | null;
  users: number;
  stopped: boolean;
}

let clusterPromise: Promise<Cluster> | undefined;
let databaseCounter = 0;

/** Starts (or reuses) this process's cluster and creates a fresh database in it. */
export async function startPostgres(): Promise<PostgresResult> {
  const bin = findBinaries();
  if (bin === null) {
    const reason = `PostgreSQL binaries not found under ${PG_ROOT}/*/bin (install postgresql, as .ci/run does)`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires the PostgreSQL suite to run`);
    return { skipped: reason };
  }
  clusterPromise ??= startCluster(bin);
  let cluster: Cluster;
  try {
    cluster = await clusterPromise;
  } catch (e) {
    clusterPromise = undefined;
    throw e;
  }
  cluster.users += 1;

  const name = `pk_test_${process.pid}_${++databaseCounter}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }

  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${cluster.port}/${name}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.users -= 1;
      if (cluster.users === 0) {
        clusterPromise = undefined;
        stopCluster(cluster);
      } else {
        const admin = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' });
        await admin.connect();
        try {
          await admin.query(`drop database if exists ${name} with (force)`);
        } finally {
          await admin.end();
        }
      }
    },
  };
}

function findBinaries(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(PG_ROOT, versions[0], 'bin');
}

/** The unprivileged account to run PostgreSQL as when we are root; null when not root. */
function serverUser(): string | null {
  if (process.getuid?.() !== 0) return null;
  if (spawnSync('id', ['-u', 'postgres']).status === 0) return 'postgres';
  if (spawnSync('id', ['-u', 'nobody']).status !== 0) {
    spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'nobody']);
  }
  return 'nobody';
}

function asUser(user: string | null, command: string, args: string[]): [string, string[]] {
  return user === null ? [command, args] : ['runuser', ['-u', user, '--', command, ...args]];
}

function run(user: string | null, command: string, args: string[], what: string): void {
  const [cmd, argv] = asUser(user, command, args);
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}): ${result.stderr || result.stdout || result.error?.message}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startCluster(bin: string): Promise<Cluster> {
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'pk-pg-'));
  const data = join(dir, 'data');
  if (user !== null) {
    const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const cluster: Cluster = { dir, data, bin, port: 0, user, watchdog: null, users: 0, stopped: false };
  try {
    run(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], 'initdb');
    // A port can be taken between probing and binding; try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      cluster.port = await freePort();
      try {
        const options = [
          `-p ${cluster.port}`,
          `-k ${dir}`,
          '-c listen_addresses=127.0.0.1',
          // Durability is irrelevant for a throwaway cluster; speed is not.
          '-c fsync=off',
          '-c synchronous_commit=off',
          '-c full_page_writes=off',
          '-c max_connections=200',
        ].join(' ');
        run(user, join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start'], 'pg_ctl start');
        lastError = undefined;
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (lastError !== undefined) throw new Error(`${(lastError as Error).message}\n${readLog(dir)}`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  // If this process dies without running exit handlers (SIGKILL), a detached watchdog stops
  // the cluster and removes its directory.
  const [cmd, argv] = asUser(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
  const stopCommand = [cmd, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopCommand} >/dev/null 2>&1; rm -rf '${dir}'`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  cluster.watchdog = watchdog;
  process.once('exit', () => stopCluster(cluster));
  return cluster;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function stopCluster(cluster: Cluster): void {
  if (cluster.stopped) return;
  cluster.stopped = true;
  try {
    const [cmd, argv] = asUser(cluster.user, join(cluster.bin, 'pg_ctl'), ['-D', cluster.data, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
  } finally {
    if (cluster.watchdog?.pid !== undefined) {
      try {
        process.kill(cluster.watchdog.pid);
      } catch {
        // already gone
      }
    }
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}
