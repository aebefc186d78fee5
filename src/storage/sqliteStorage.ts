/**
 * botbuilder Storage on SQLite with eTag optimistic concurrency (botbuilder-core storage contract):
 * a write carrying a stale eTag is rejected; no eTag or '*' overwrites; each write gets a new eTag.
 * A batch is one transaction, all or nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Db } from './db.js';
import { UnitOfWork } from './unitOfWork.js';

/** A document to write: key, the eTag it was read with, JSON. */
type Entry = [string, string | undefined, string];

export class SqliteStorage implements Storage {
  private readonly selectOne;
  private readonly insert;
  private readonly update;
  private readonly remove;
  // Transactions are compiled once: better-sqlite3 builds a wrapper for every db.transaction() call; every write transaction is IMMEDIATE (db.ts).
  private readonly writeBatch: (entries: Entry[]) => void;
  private readonly deleteBatch: (keys: string[]) => void;

  constructor(db: Db) {
    this.selectOne = db.prepare<[string], { etag: string; doc: string }>('SELECT etag, doc FROM bot_state WHERE key = ?');
    this.insert = db.prepare('INSERT INTO bot_state (key, etag, doc, updated_at) VALUES (?, ?, ?, ?)');
    this.update = db.prepare('UPDATE bot_state SET etag = ?, doc = ?, updated_at = ? WHERE key = ?');
    this.remove = db.prepare('DELETE FROM bot_state WHERE key = ?');
    this.writeBatch = db.transaction((entries: Entry[]) => this.batchWrite(entries)).immediate;
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

  /** Inside a turn, part of its unit of work (committed with its replies); else at once. */
  async write(changes: StoreItems): Promise<void> {
    if (!changes || typeof changes !== 'object') throw new TypeError('Changes are required when writing.');
    // The documents are serialized now: what the turn saved, not what it changes afterwards.
    const entries = Object.entries(changes).map(([key, item]) => {
      const { eTag, ...rest } = (item ?? {}) as { eTag?: string };
      return [key, eTag, JSON.stringify(rest)] as Entry;
    });
    if (entries.length > 0) UnitOfWork.write(() => this.writeBatch(entries));
  }

  async delete(keys: string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when deleting.');
    UnitOfWork.write(() => this.deleteBatch(keys));
  }

  private batchWrite(entries: Entry[]): void {
    const now = Date.now();
    for (const [key, eTag, doc] of entries) {
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
