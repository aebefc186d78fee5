/**
 * A throwaway PostgreSQL server for tests: initdb into a fresh temp directory, start on a free
 * loopback port, stop and delete at the end. Uses Debian's binaries under
 * /usr/lib/postgresql/<major>/bin (newest major wins); never a system cluster.
 *
 * PostgreSQL refuses to run as root, so when this process is root (CI) every pg binary runs as the
 * `postgres` OS user (runuser, or su as a fallback) and the temp directory is handed to that user.
 *
 * One server per `vitest run` is started by test/support/postgresSetup.ts (globalSetup), which
 * publishes its URL as TEST_POSTGRES_URL; tests call requirePostgres() and createDatabase().
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const POSTGRES_URL_ENV = 'TEST_POSTGRES_URL';
const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<major>/bin that has initdb and pg_ctl, or undefined. */
export function findPostgresBin(): string | undefined {
  let majors: string[];
  try {
    majors = readdirSync(PG_ROOT);
  } catch {
    return undefined;
  }
  const bins = majors
    .filter((m) => /^\d+(\.\d+)?$/.test(m))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((m) => join(PG_ROOT, m, 'bin'))
    .filter((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  return bins[0];
}

/** The URL the global setup published (or the caller set), if any. */
export function postgresUrl(): string | undefined {
  return process.env[POSTGRES_URL_ENV] || undefined;
}

/** The URL of the test server; throws, naming what is missing, when there is none. */
export function requirePostgres(): string {
  const url = postgresUrl();
  if (url) return url;
  const bin = findPostgresBin();
  const why = bin
    ? `PostgreSQL binaries exist in ${bin}, but the global setup (test/support/postgresSetup.ts, registered in vitest.config.ts) did not publish ${POSTGRES_URL_ENV}; run the tests through vitest with the project's config`
    : `no PostgreSQL server binaries in ${PG_ROOT}/<major>/bin (initdb, pg_ctl): install the Debian package "postgresql" (apt-get install postgresql; .ci/run does this)`;
  throw new Error(`This test needs PostgreSQL and ${POSTGRES_URL_ENV} is not set: ${why}, or set ${POSTGRES_URL_ENV}=postgres://user@host:port/db to use an existing server.`);
}

const isRoot = (): boolean => process.getuid?.() === 0;

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = [stderr, stdout]
          .map((s) => s.trim())
          .filter(Boolean)
          .join('\n');
        reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}${detail ? `\n${detail}` : ''}`, { cause: error }));
      } else resolve({ stdout, stderr });
    });
  });
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** How to run a command as the postgres user when we are root: runuser, or su as a fallback. */
function asPostgres(file: string, args: string[]): [string, string[]] {
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p));
  if (runuser) return [runuser, ['-u', 'postgres', '--', file, ...args]];
  const su = ['/usr/bin/su', '/bin/su'].find((p) => existsSync(p));
  if (su) return [su, ['postgres', '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')]];
  throw new Error('Running as root, and neither runuser nor su is available to run PostgreSQL as the postgres user');
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('Running as root, but there is no "postgres" OS user to run PostgreSQL as (the Debian package "postgresql" creates it)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A free loopback port: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/**
 * initdb + pg_ctl start in a fresh temp directory; `stop()` shuts it down immediately and deletes the directory.
 * Tests trade durability for speed (no fsync); `durable` keeps PostgreSQL's own defaults (the bench).
 */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`No PostgreSQL server binaries (initdb, pg_ctl) in ${PG_ROOT}/<major>/bin: install the Debian package "postgresql"`);
  const root = isRoot();
  const user = root ? postgresUser() : undefined;

  const parent = tmpdir();
  const dir = await mkdtemp(join(parent, 'pg-test-'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  let stopped = false;
  const cleanupOnExit = (): void => {
    // Last resort if the process exits without stop(): SIGQUIT is PostgreSQL's immediate shutdown.
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {}
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {}
  };
  process.once('exit', cleanupOnExit);

  const pgRun = (name: string, args: string[]): Promise<RunResult> => {
    const file = join(bin, name);
    const [cmd, argv] = root ? asPostgres(file, args) : [file, args];
    return run(cmd, argv, dir);
  };

  try {
    if (user) {
      await chmod(dir, 0o700);
      await chown(dir, user.uid, user.gid);
      try {
        const [cmd, argv] = asPostgres('/bin/sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', dir]);
        await run(cmd, argv, '/');
      } catch (error) {
        throw new Error(`The postgres OS user cannot use ${dir}: every directory above it (${parent}; set TMPDIR to change it) must be traversable by that user`, { cause: error });
      }
    }

    // --no-sync: a throwaway cluster need not be flushed to disk (saves about half a second).
    const initdb = (locale: string) => pgRun('initdb', ['--no-sync', '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', `--locale=${locale}`]);
    try {
      await initdb('C.UTF-8');
    } catch {
      await rm(data, { recursive: true, force: true });
      await initdb('C');
    }

    let url: string | undefined;
    for (let attempt = 1; !url; attempt++) {
      const port = await freePort();
      // pg_ctl hands these to /bin/sh, hence the quoting.
      const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${shellQuote(dir)}${opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'} -c max_connections=300`;
      await rm(log, { force: true });
      try {
        await pgRun('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', 'start']);
        url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      } catch (error) {
        // Another process may have taken the port between our probe and the server's bind: try another.
        const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '';
        if (attempt < 3 && /could not bind|address already in use/i.test(serverLog)) continue;
        throw new Error(`${(error as Error).message}\nserver log (${log}):\n${serverLog}`, { cause: error });
      }
    }

    const serverUrl = url;
    return {
      url: serverUrl,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch (error) {
          // A server that is already gone (no postmaster.pid) is stopped enough.
          if (existsSync(join(data, 'postmaster.pid'))) throw error;
        } finally {
          process.removeListener('exit', cleanupOnExit);
          await rm(dir, { recursive: true, force: true, maxRetries: 5 });
        }
      },
    };
  } catch (error) {
    stopped = true;
    process.removeListener('exit', cleanupOnExit);
    cleanupOnExit();
    throw error;
  }
}

let counter = 0;

/**
 * Creates a new, empty database on the server at `baseUrl` and returns its URL (same credentials
 * and host). The name is always unique: `name` (default "test") is only its prefix.
 */
export async function createDatabase(baseUrl: string, name = 'test'): Promise<string> {
  const prefix = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 30);
  const database = `${prefix}_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
