/**
 * The PostgreSQL backend's door: the `pg` driver with a pool. Repositories' `?` placeholders
 * become `$1, $2…`; statements are named, so each connection prepares them once. Inside `tx(fn)`
 * every statement of `fn`'s async context runs on the transaction's own connection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Param, Sql } from '../sql.js';

/** `?` → `$n` (our SQL has no `?` inside literals or operators), cached per text. */
const numbered = new Map<string, { text: string; name: string }>();
function positional(sql: string): { text: string; name: string } {
  let hit = numbered.get(sql);
  if (!hit) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    hit = { text, name: `q${createHash('sha1').update(text).digest('base64url').slice(0, 16)}` };
    numbered.set(sql, hit);
  }
  return hit;
}

/**
 * PostgreSQL's text cannot hold U+0000 (SQLite's can): a buyer who sends one must still be heard and
 * recorded, so it is kept as U+FFFD, the replacement character. (JSON documents carry it escaped.)
 */
const storable = (p: Param): unknown => (typeof p === 'string' && p.includes('\u0000') ? p.replaceAll('\u0000', '\uFFFD') : p);

export class PgSql implements Sql {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly skipLocked = ' FOR UPDATE SKIP LOCKED';
  private readonly client = new AsyncLocalStorage<pg.PoolClient>();

  constructor(readonly pool: pg.Pool) {}

  private query<T extends pg.QueryResultRow>(sql: string, params: readonly Param[]): Promise<pg.QueryResult<T>> {
    const { text, name } = positional(sql);
    const on = this.client.getStore() ?? this.pool;
    return on.query<T>({ text, name, values: params.map(storable) });
  }

  inTx(): boolean {
    return !!this.client.getStore();
  }

  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.client.getStore()) return fn();
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await this.client.run(c, fn);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
