/** Installation-wide values (signing keys) in the settings table, both backends. */
import type { Sql } from '../sql.js';

/** Installation-wide values made once and kept (signing keys): the first writer wins a race between instances. */
export async function setting(sql: Sql, key: string, make: () => string): Promise<string> {
  const existing = await sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
  if (existing) return existing.value;
  await sql.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, make()]);
  return (await sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))!.value;
}
