/** Statements prepared once per SQL text: better-sqlite3 parses SQL on every prepare() call. */
import type Database from 'better-sqlite3';
import type { Db } from './db.js';

export function statementCache(db: Db): (sql: string) => Database.Statement<unknown[]> {
  const cache = new Map<string, Database.Statement<unknown[]>>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st;
  };
}
