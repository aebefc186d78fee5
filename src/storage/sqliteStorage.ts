/**
 * botbuilder Storage on SQLite with eTag optimistic concurrency (botbuilder-core storage contract):
 * a write carrying a stale eTag is rejected; no eTag or '*' overwrites; each write gets a new eTag.
 * A batch is one transaction, all or nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Db } from './db.js';

export class SqliteStorage implements Storage {
  private readonly selectOne;
  private readonly insert;
  private readonly update;
  private readonly remove;
  // Transactions are compiled once: better-sqlite3 builds a wrapper for every db.transaction() call; every write transaction is IMMEDIATE (db.ts).
  private readonly writeBatch: (entries: Array<[string, unknown]>) => void;
  private readonly deleteBatch: (keys: string[]) => void;

  constructor(db: Db) {
    this.selectOne = db.prepare<[string], { etag: string; doc: string }>('SELECT etag, doc FROM bot_state WHERE key = ?');
    this.insert = db.prepare('INSERT INTO bot_state (key, etag, doc, updated_at) VALUES (?, ?, ?, ?)');
    this.update = db.prepare('UPDATE bot_state SET etag = ?, doc = ?, updated_at = ? WHERE key = ?');
    this.remove = db.prepare('DELETE FROM bot_state WHERE key = ?');
    this.writeBatch = db.transaction((entries: Array<[string, unknown]>) => this.batchWrite(entries)).immediate;
    this.deleteBatch = db.transaction((keys: string[]) => {
      for (const key of keys) this.remove.run(key);
    }).immediate;
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when reading.');
    const out: StoreItems = {};
    for (const key of keys) {
      const row = this.selectOne.get(key);
      if (row) out[key] = { ...JSON.parse(row.doc), eTag: row.etag };
    }
    return out;
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes || typeof changes !== 'object') throw new TypeError('Changes are required when writing.');
    const entries = Object.entries(changes);
    if (entries.length > 0) this.writeBatch(entries);
  }

  async delete(keys: string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when deleting.');
    this.deleteBatch(keys);
  }

  private batchWrite(entries: Array<[string, unknown]>): void {
    const now = Date.now();
    for (const [key, item] of entries) {
      const { eTag, ...rest } = (item ?? {}) as { eTag?: string };
      const doc = JSON.stringify(rest);
      const etag = randomUUID();
      const existing = this.selectOne.get(key);
      if (!existing) {
        this.insert.run(key, etag, doc, now);
      } else if (!eTag || eTag === '*' || eTag === existing.etag) {
        this.update.run(etag, doc, now, key);
      } else {
        throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
      }
    }
  }
}
