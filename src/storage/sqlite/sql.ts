/**
 * The SQLite backend's door (better-sqlite3, one connection). better-sqlite3 is synchronous; here
 * every statement still answers through a promise, so repositories are written once for both
 * backends. A transaction may span awaits (`tx(fn)`): while it is open, writes from other async
 * contexts wait for it to end instead of slipping into it (they would commit or roll back with it),
 * and it is BEGIN IMMEDIATE (the write lock first, see db.ts). Reads from other contexts are not
 * held up: on this one connection they see the open transaction's writes, which only ever concern
 * the conversation committing (its turn) and roll back only on a database error; making every
 * conversation's reads wait for every other's commit cost a quarter of the Direct Line throughput.
 * Outside a transaction a statement runs at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { Param, Sql } from '../sql.js';
import type { Db } from './db.js';

const BUSY_RETRIES = 6;

export class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  readonly skipLocked = '';
  private readonly cache = new Map<string, Database.Statement<unknown[]>>();
  private readonly owner = new AsyncLocalStorage<object>();
  /** The open transaction's token, and a promise that settles when it ends. */
  private active: object | undefined;
  private ended: Promise<void> = Promise.resolve();

  constructor(readonly db: Db) {}

  private statement(sql: string): Database.Statement<unknown[]> {
    let st = this.cache.get(sql);
    if (!st) this.cache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Waits while another async context's transaction is open (writes only). */
  private async turn(): Promise<void> {
    while (this.active && this.owner.getStore() !== this.active) await this.ended;
  }

  inTx(): boolean {
    return !!this.active && this.owner.getStore() === this.active;
  }

  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const st = this.statement(sql);
    if (this.active && !st.readonly) await this.turn();
    return st.all(...params) as T[];
  }

  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    const st = this.statement(sql);
    if (this.active && !st.readonly) await this.turn();
    if (st.reader) return st.get(...params) as T | undefined;
    st.run(...params);
    return undefined;
  }

  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    const st = this.statement(sql);
    if (this.active && !st.readonly) await this.turn();
    return st.reader ? st.all(...params).length : st.run(...params).changes;
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx()) return fn();
    while (this.active) await this.ended;
    const token = {};
    this.active = token;
    let end!: () => void;
    this.ended = new Promise<void>((resolve) => (end = resolve));
    try {
      await this.begin();
      const result = await this.owner.run(token, fn);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.active = undefined;
      end();
    }
  }

  /**
   * BEGIN IMMEDIATE. A database busy beyond its busy timeout (another process, the checkpointer)
   * is waited out asynchronously a few times, never by blocking the event loop longer.
   */
  private async begin(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= BUSY_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
      }
    }
  }
}
