import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlBotStorage } from '../../src/storage/sql/botState.js';
import { startCheckpointer } from '../../src/storage/sqlite/checkpointer.js';
import { openDatabase } from '../../src/storage/sqlite/db.js';
import { SqliteSql } from '../../src/storage/sqlite/sql.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmpFile = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamen-ckpt-'));
  dirs.push(dir);
  return path.join(dir, 'db.sqlite');
};
/** The WAL header's checkpoint sequence number: SQLite bumps it each time the WAL is rewound. */
const walRewinds = (file: string) => {
  const fd = fs.openSync(`${file}-wal`, 'r');
  const header = Buffer.alloc(16);
  fs.readSync(fd, header, 0, 16, 0);
  fs.closeSync(fd);
  return header.readUInt32BE(12);
};
/** Rows of t in the database file alone, as if the WAL were lost: what checkpoints have copied. */
const rowsInMainFile = (file: string) => {
  const copy = `${file}.copy`;
  fs.copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'").pluck().get() as number) ? (db.prepare('SELECT COUNT(*) FROM t').pluck().get() as number) : 0;
  } finally {
    db.close();
    fs.rmSync(copy);
  }
};

describe('background WAL checkpoints', () => {
  it('turns automatic checkpoints off on the bot connection; the worker copies the WAL into the database', async () => {
    const file = tmpFile();
    const db = openDatabase(file);
    const ck = startCheckpointer(db, { intervalMs: 3_600_000 }); // no periodic tick in this test: only the last one, on stop
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 3000; i++) insert.run('x'.repeat(500)); // ~3,000 commits, far past the default 1,000-page checkpoint
    // The bot's connection did not checkpoint, however many pages it wrote...
    expect(rowsInMainFile(file)).toBe(0);
    // ...the worker does (here its last checkpoint, on stop), and the database file alone then holds every row.
    await ck.stop();
    expect(rowsInMainFile(file)).toBe(3000);
    db.close();
  });

  it('stop() resolves once the worker is gone: nothing writes into the directory afterwards', async () => {
    const file = tmpFile();
    const db = openDatabase(file);
    const ck = startCheckpointer(db, { intervalMs: 10 });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 500; i++) db.prepare('INSERT INTO t (v) VALUES (?)').run('z'.repeat(300));
    db.close();
    await ck.stop();
    const dir = path.dirname(file);
    const before = fs.readdirSync(dir).sort();
    expect(before).toEqual(['db.sqlite']); // the last connection gone: no -wal, no -shm left behind
    await new Promise((r) => setTimeout(r, 100));
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    fs.rmSync(dir, { recursive: true }); // would fail with ENOTEMPTY if something still wrote
  });

  it('never makes a write of the bot fail with "database is locked" while it rewinds the WAL', async () => {
    const file = tmpFile();
    const db = openDatabase(file);
    const errors: string[] = [];
    const ck = startCheckpointer(db, { intervalMs: 20, restartFrames: 200, onError: (m) => errors.push(m) });
    const storage = new SqlBotStorage(new SqliteSql(db));
    const failures: string[] = [];
    let turns = 0;
    const end = Date.now() + 2500;
    // 50 conversations, each turn reading its state and writing it back (a read-then-write transaction).
    await Promise.all(
      Array.from({ length: 50 }, async (_, c) => {
        while (Date.now() < end) {
          try {
            const key = `conv-${c}`;
            const doc = (await storage.read([key]))[key] ?? {};
            await storage.write({ [key]: { ...doc, turns: ((doc.turns as number) ?? 0) + 1, pad: 'p'.repeat(1500), eTag: '*' } });
            turns++;
          } catch (err) {
            failures.push((err as Error).message);
          }
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    expect(turns).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
    expect(errors).toEqual([]);
    await ck.stop();
    db.close();
  });

  it('rewinds the WAL even under writes that never pause', async () => {
    const file = tmpFile();
    const db = openDatabase(file);
    const ck = startCheckpointer(db, { intervalMs: 20, restartFrames: 500 });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const first = walRewinds(file);
    let n = 0;
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      for (let i = 0; i < 50; i++) insert.run('y'.repeat(800));
      n += 50;
      await new Promise((r) => setImmediate(r)); // a server's event loop turns between requests
    }
    // A passive checkpoint alone never catches up with these writes, so the WAL would only grow.
    expect(walRewinds(file)).toBeGreaterThan(first);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(n);
    await ck.stop();
    db.close();
  });

  it('does nothing for an in-memory database', async () => {
    const db = openDatabase(':memory:');
    const ck = startCheckpointer(db);
    await expect(ck.stop()).resolves.toBeUndefined();
    db.close();
  });
});
