/**
 * botbuilder Storage on either database, with eTag optimistic concurrency (botbuilder-core storage
 * contract): a write carrying a stale eTag is rejected; no eTag or '*' overwrites; each write gets
 * a new eTag. The check and the write are one statement, so two instances writing the same
 * document cannot both win. A batch is one transaction, all or nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Sql } from '../sql.js';
import { UnitOfWork } from '../unitOfWork.js';

/** A document to write: key, the eTag it was read with, JSON. */
type Entry = [string, string | undefined, string];

export class SqlBotStorage implements Storage {
  constructor(private readonly sql: Sql) {}

  async read(keys: string[]): Promise<StoreItems> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when reading.');
    const out: StoreItems = {};
    for (const key of keys) {
      const row = await this.sql.get<{ etag: string; doc: string }>('SELECT etag, doc FROM bot_state WHERE key = ?', [key]);
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
    if (entries.length > 0) await UnitOfWork.write(() => this.sql.tx(() => this.batchWrite(entries)));
  }

  async delete(keys: string[]): Promise<void> {
    if (!Array.isArray(keys)) throw new TypeError('Keys are required when deleting.');
    await UnitOfWork.write(() =>
      this.sql.tx(async () => {
        for (const key of keys) await this.sql.run('DELETE FROM bot_state WHERE key = ?', [key]);
      }),
    );
  }

  private async batchWrite(entries: Entry[]): Promise<void> {
    const now = Date.now();
    for (const [key, eTag, doc] of entries) {
      const etag = randomUUID();
      if (!eTag || eTag === '*') {
        await this.sql.run(
          'INSERT INTO bot_state (key, etag, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, doc = excluded.doc, updated_at = excluded.updated_at',
          [key, etag, doc, now],
        );
        continue;
      }
      // Written only over the version it was read with; a document nobody has yet is created.
      if ((await this.sql.run('UPDATE bot_state SET etag = ?, doc = ?, updated_at = ? WHERE key = ? AND etag = ?', [etag, doc, now, key, eTag])) === 1) continue;
      if ((await this.sql.run('INSERT INTO bot_state (key, etag, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING', [key, etag, doc, now])) === 1) continue;
      throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
    }
  }
}
