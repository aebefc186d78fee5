/** Installation-wide values made once and kept (signing keys): the settings table. */
import type { Db } from './db.js';

/** The stored value of `key`, created with `make()` on first use (the first writer wins a race). */
export function setting(db: Db, key: string, make: () => string): string {
  const read = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const existing = read.get(key);
  if (existing) return existing;
  db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, make());
  return read.get(key)!;
}
