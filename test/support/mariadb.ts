/**
 * A throwaway MariaDB server for tests: mariadb-install-db into a fresh temp directory, mariadbd on a
 * free loopback port (and a socket in that directory), killed and deleted at the end. Uses Debian's
 * `mariadb-server` binaries; never a system service. As root (CI) mariadbd runs with --user=root.
 *
 * One server per `vitest run` is started by test/support/mariadbSetup.ts (globalSetup), which
 * publishes a root URL as TEST_MARIADB_URL; tests call requireMariadb() and createShopDatabase().
 * The server runs in UTC while tests run in America/Los_Angeles and shops write Asia/Shanghai wall
 * clocks, so nothing passes by a coincidence of zones.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './postgres.js';

export const MARIADB_URL_ENV = 'TEST_MARIADB_URL';
const SERVER_BINS = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_BINS = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db', '/usr/bin/mariadb-install-db'];

export interface MariadbServer {
  url: string;
  stop(): Promise<void>;
}

export function findMariadb(): { server: string; install: string } | undefined {
  const server = SERVER_BINS.find((p) => existsSync(p));
  const install = INSTALL_BINS.find((p) => existsSync(p));
  return server && install ? { server, install } : undefined;
}

export function mariadbUrl(): string | undefined {
  return process.env[MARIADB_URL_ENV] || undefined;
}

/** The root URL of the test server; throws, naming what is missing, when there is none. */
export function requireMariadb(): string {
  const url = mariadbUrl();
  if (url) return url;
  const why = findMariadb()
    ? `MariaDB binaries exist, but the global setup (test/support/mariadbSetup.ts, registered in vitest.config.ts) did not publish ${MARIADB_URL_ENV}; run the tests through vitest with the project's config`
    : 'no MariaDB server binaries (/usr/sbin/mariadbd, /usr/bin/mariadb-install-db): install the Debian package "mariadb-server" (apt-get install mariadb-server; .ci/run does this)';
  throw new Error(`This test needs MariaDB and ${MARIADB_URL_ENV} is not set: ${why}, or set ${MARIADB_URL_ENV}=mysql://root@host:port/ to use an existing server.`);
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`, { cause: error }));
      else resolve();
    });
  });
}

async function waitReady(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited (${child.exitCode}):\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await c.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`mariadbd did not accept connections within 30 s:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
}

/** Installs and starts a server in a fresh temp directory (fast, not durable). */
export async function startMariadb(): Promise<MariadbServer> {
  const bins = findMariadb();
  if (!bins) throw new Error('No MariaDB server binaries: install the Debian package "mariadb-server"');
  const dir = await mkdtemp(join(tmpdir(), 'mariadb-test-'));
  const data = join(dir, 'data');
  const log = join(dir, 'error.log');
  const root = process.getuid?.() === 0;
  const userArgs = root ? ['--user=root'] : [];
  await run(bins.install, ['--no-defaults', `--datadir=${data}`, ...userArgs, '--auth-root-authentication-method=normal', '--skip-test-db']);
  const port = await freePort();
  const child = spawn(
    bins.server,
    [
      '--no-defaults',
      `--datadir=${data}`,
      ...userArgs,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${log}`,
      '--skip-name-resolve',
      '--default-time-zone=+00:00',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-buffer-pool-size=128M',
      '--max-connections=500',
    ],
    { stdio: 'ignore' },
  );
  const cleanupOnExit = (): void => {
    child.kill('SIGKILL');
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  };
  process.once('exit', cleanupOnExit);
  try {
    await waitReady(port, child, log);
  } catch (error) {
    cleanupOnExit();
    process.removeListener('exit', cleanupOnExit);
    throw error;
  }
  let stopped = false;
  return {
    url: `mysql://root@127.0.0.1:${port}/`,
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      process.removeListener('exit', cleanupOnExit);
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export interface ShopDatabase {
  /** Root access to the shop's database (to load fixtures and change orders as the shop would). */
  admin: mysql.Connection;
  /** What the bot is configured with: a read-only account granted SELECT on `tables` only. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database loaded with `sql` (statements separated by `;` at line ends), and a read-only
 * user granted SELECT on `tables` only, as the README tells a shop owner to create.
 */
export async function createShopDatabase(rootUrl: string, sql: string, tables: string[]): Promise<ShopDatabase> {
  const name = `shop_${randomBytes(5).toString('hex')}`;
  const user = `bot_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const root = new URL(rootUrl);
  const admin = await mysql.createConnection({ host: root.hostname, port: Number(root.port), user: 'root', multipleStatements: true, dateStrings: true });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.query(`USE \`${name}\``);
  await admin.query(sql);
  await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  // "table" grants the table; "table(col, …)" only those columns (as the README grants acg-faka's cards).
  for (const t of tables) {
    const m = /^(\w+)\((.+)\)$/.exec(t);
    if (m)
      await admin.query(
        `GRANT SELECT (${m[2]!
          .split(',')
          .map((c) => `\`${c.trim()}\``)
          .join(', ')}) ON \`${name}\`.\`${m[1]}\` TO '${user}'@'127.0.0.1'`,
      );
    else await admin.query(`GRANT SELECT ON \`${name}\`.\`${t}\` TO '${user}'@'127.0.0.1'`);
  }
  return {
    admin,
    name,
    url: `mysql://${user}:${password}@127.0.0.1:${root.port}/${name}`,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
      await admin.end();
    },
  };
}

/**
 * For a test file: the server's URL, or (outside CI only, when MariaDB cannot be started here) a
 * skip with a message saying why. In CI (CI set) a missing server fails the tests instead.
 */
export function mariadbForTests(): { skip: boolean; url: () => string } {
  const skip = !mariadbUrl() && !process.env.CI;
  if (skip) console.warn(`MariaDB tests skipped: ${MARIADB_URL_ENV} is not set and no MariaDB could be started (install "mariadb-server"; CI does).`);
  return { skip, url: requireMariadb };
}

/** The fixture SQL files under test/fixtures/shops/. */
export function shopFixture(name: string, prefix = ''): string {
  return readFileSync(join(import.meta.dirname, '..', 'fixtures', 'shops', name), 'utf8').replaceAll('__PREFIX__', prefix);
}
