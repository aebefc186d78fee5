/**
 * The PostgreSQL backend (DATABASE_URL=postgres://…): a `pg` pool for queries, a small pool for
 * conversation locks, one control connection for the bus and leadership. Migrations run at start
 * under an advisory lock, so instances starting together migrate once.
 */
import pg from 'pg';
import type pino from 'pino';
import { type Store, reposOn } from '../index.js';
import { setting } from '../sql/settings.js';
import { SqlLimiter } from '../sql/guards.js';
import { INSTANCE } from '../cluster.js';
import { PgCluster } from './cluster.js';
import { PG_MIGRATIONS } from './migrations.js';
import { PgSql } from './sql.js';

// BIGINT (epoch milliseconds, counters, COUNT(*)) as numbers: every value we keep is far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const MIGRATION_LOCK = 4;

/** postgres://user:secret@host/db → postgres://user@host/db (for log lines). */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function migratePostgres(pool: pg.Pool): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1, 0)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    let count = 0;
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
      count++;
    }
    return count;
  } finally {
    await c.query('SELECT pg_advisory_unlock($1, 0)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}

export async function openPostgres(url: string, opts: { logger: pino.Logger; poolSize?: number; instance?: string }): Promise<Store> {
  const instance = opts.instance ?? INSTANCE;
  const size = opts.poolSize ?? 20;
  const pool = new pg.Pool({ connectionString: url, max: size, types, application_name: 'kamen', connectionTimeoutMillis: 10_000 });
  const lockPool = new pg.Pool({ connectionString: url, max: size, application_name: 'kamen-locks', connectionTimeoutMillis: 10_000 });
  // An idle client that errors (the server restarted) must not take the process down.
  pool.on('error', (err) => opts.logger.warn({ err }, 'postgres: idle connection failed'));
  lockPool.on('error', (err) => opts.logger.warn({ err }, 'postgres: idle lock connection failed'));
  try {
    const applied = await migratePostgres(pool);
    if (applied) opts.logger.info({ applied }, 'postgres: migrations applied');
  } catch (err) {
    await pool.end();
    await lockPool.end();
    throw err;
  }
  const sql = new PgSql(pool);
  const cluster = new PgCluster(instance, url, sql, lockPool, opts.logger);
  await cluster.start();
  return {
    kind: 'postgres',
    instance,
    where: withoutPassword(url),
    sql,
    repos: reposOn(sql),
    lock: cluster.lock,
    bus: cluster.bus,
    leader: cluster.leader,
    presence: cluster.presence,
    limiter: (name, max, windowMs) => new SqlLimiter(sql, name, max, windowMs),
    alive: (instance) => cluster.alive(instance),
    setting: (key, make) => setting(sql, key, make),
    schema: async () => {
      const row = await sql.get<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
      return { version: Number(row?.v ?? 0), latest: PG_MIGRATIONS.at(-1)?.version ?? 0 };
    },
    close: async () => {
      await cluster.close();
      await lockPool.end();
      await pool.end();
    },
  };
}
