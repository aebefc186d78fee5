/**
 * Abuse limits in SQL (both backends): failed ownership checks per order and claimant, and rate
 * limits shared by every instance. Counting happens with the rows locked (PostgreSQL: FOR UPDATE;
 * SQLite: the write lock), so two instances recording a failure at once count two.
 */
import type { Counter, Limiter, VerifyRepo } from '../../orders/guards.js';
import { MINUTE } from '../../time.js';
import type { Sql } from '../sql.js';

type Row = { failures: number; locked_until: number | null; updated_at: number };
const toCounter = (r: Row | undefined): Counter | undefined =>
  r && { failures: Number(r.failures), lockedUntil: r.locked_until === null ? null : Number(r.locked_until), updatedAt: Number(r.updated_at) };

export class SqlVerifyRepo implements VerifyRepo {
  constructor(private readonly sql: Sql) {}

  async read(orderNo: string, claimants: string[]): Promise<Array<Counter | undefined>> {
    const order = toCounter(await this.sql.get<Row>('SELECT failures, locked_until, updated_at FROM verify_attempts WHERE order_no = ?', [orderNo]));
    const each = [];
    for (const c of claimants)
      each.push(toCounter(await this.sql.get<Row>('SELECT failures, locked_until, updated_at FROM verify_failures WHERE order_no = ? AND claimant = ?', [orderNo, c])));
    return [order, ...each];
  }

  bump(orderNo: string, claimants: string[], next: (row: Counter | undefined, scope: 'claimant' | 'order') => Counter): Promise<Counter[]> {
    return this.sql.tx(async () => {
      const out: Counter[] = [];
      for (const c of claimants) {
        await this.sql.run(
          'INSERT INTO verify_failures (order_no, claimant, failures, locked_until, updated_at) VALUES (?, ?, 0, NULL, 0) ON CONFLICT (order_no, claimant) DO NOTHING',
          [orderNo, c],
        );
        const row = toCounter(
          await this.sql.get<Row>(`SELECT failures, locked_until, updated_at FROM verify_failures WHERE order_no = ? AND claimant = ?${this.sql.forUpdate}`, [orderNo, c]),
        );
        const n = next(row, 'claimant');
        await this.sql.run('UPDATE verify_failures SET failures = ?, locked_until = ?, updated_at = ? WHERE order_no = ? AND claimant = ?', [
          n.failures,
          n.lockedUntil,
          n.updatedAt,
          orderNo,
          c,
        ]);
        out.push(n);
      }
      await this.sql.run('INSERT INTO verify_attempts (order_no, failures, locked_until, updated_at) VALUES (?, 0, NULL, 0) ON CONFLICT (order_no) DO NOTHING', [orderNo]);
      const row = toCounter(await this.sql.get<Row>(`SELECT failures, locked_until, updated_at FROM verify_attempts WHERE order_no = ?${this.sql.forUpdate}`, [orderNo]));
      const n = next(row, 'order');
      await this.sql.run('UPDATE verify_attempts SET failures = ?, locked_until = ?, updated_at = ? WHERE order_no = ?', [n.failures, n.lockedUntil, n.updatedAt, orderNo]);
      out.push(n);
      return out;
    });
  }

  async reset(orderNo: string, claimants: string[]): Promise<void> {
    await this.sql.tx(async () => {
      for (const c of claimants) await this.sql.run('DELETE FROM verify_failures WHERE order_no = ? AND claimant = ?', [orderNo, c]);
      await this.sql.run('DELETE FROM verify_attempts WHERE order_no = ?', [orderNo]);
    });
  }
}

/**
 * A fixed-window limit kept in the database: `max` hits per key per window, the window starting at
 * the key's first hit. One statement takes a hit only while the key is under its limit, so hits
 * refused are not counted and instances cannot race past the limit together.
 */
export class SqlLimiter implements Limiter {
  constructor(
    private readonly sql: Sql,
    private readonly name: string,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  async take(key: string, now: Date): Promise<boolean> {
    const t = now.getTime();
    const end = t + this.windowMs;
    if (Math.random() < 0.01) await this.sql.run('DELETE FROM rate_limits WHERE expires_at < ?', [t]);
    const taken = await this.sql.run(
      `INSERT INTO rate_limits (key, points, expires_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         points = CASE WHEN rate_limits.expires_at <= ? THEN 1 ELSE rate_limits.points + 1 END,
         expires_at = CASE WHEN rate_limits.expires_at <= ? THEN ? ELSE rate_limits.expires_at END
       WHERE rate_limits.expires_at <= ? OR rate_limits.points < ?
       RETURNING points`,
      [`${this.name}|${key}`, end, t, t, end, t, this.max],
    );
    return taken === 1;
  }

  async allows(key: string, now: Date): Promise<boolean> {
    const row = await this.sql.get<{ points: number; expires_at: number }>('SELECT points, expires_at FROM rate_limits WHERE key = ?', [`${this.name}|${key}`]);
    return !row || Number(row.expires_at) <= now.getTime() || Number(row.points) < this.max;
  }

  async retryAfterMinutes(key: string, now: Date): Promise<number> {
    const row = await this.sql.get<{ expires_at: number }>('SELECT expires_at FROM rate_limits WHERE key = ?', [`${this.name}|${key}`]);
    return Math.max(1, Math.ceil(((row ? Number(row.expires_at) : now.getTime()) - now.getTime()) / MINUTE));
  }
}
