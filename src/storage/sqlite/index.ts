/** The SQLite backend: one file, one process. What instances would share is in-process here. */
import type pino from 'pino';
import { type Store, reposOn } from '../index.js';
import { setting } from '../sql/settings.js';
import { INSTANCE, LocalBus, LocalLock, LocalPresence, soleLeader } from '../cluster.js';
import { RateLimiter } from '../../orders/guards.js';
import { startCheckpointer } from './checkpointer.js';
import { openDatabase, schemaVersion } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteSql } from './sql.js';

export function openSqlite(file: string, opts: { logger: pino.Logger; instance?: string }): Store {
  const instance = opts.instance ?? INSTANCE;
  const db = openDatabase(file);
  const checkpointer = startCheckpointer(db, { onError: (message) => opts.logger.warn({ message }, 'WAL checkpoint failed') });
  const sql = new SqliteSql(db);
  return {
    kind: 'sqlite',
    instance,
    where: file,
    sql,
    repos: reposOn(sql),
    lock: new LocalLock(),
    bus: new LocalBus(),
    leader: soleLeader,
    presence: new LocalPresence(),
    limiter: (_name, max, windowMs) => new RateLimiter(max, windowMs),
    alive: async (other) => other === instance,
    setting: (key, make) => setting(sql, key, make),
    schema: async () => ({ version: schemaVersion(db), latest: MIGRATIONS.at(-1)?.version ?? 0 }),
    close: async () => {
      if (db.open) db.close();
      await checkpointer.stop();
    },
  };
}
