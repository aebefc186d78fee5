/** Abuse limits around orders: lookup rate per buyer, and the verification lock per order. */
import type { Db } from '../storage/db.js';
import { MINUTE } from '../time.js';

/** Sliding-window counter in memory (per process); keys are buyer ids. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  /** Records one hit; false when the key is over its limit (the hit is then not recorded). */
  take(key: string, now: Date): boolean {
    const t = now.getTime();
    const list = (this.hits.get(key) ?? []).filter((x) => x > t - this.windowMs);
    if (list.length >= this.max) {
      this.hits.set(key, list);
      return false;
    }
    list.push(t);
    this.hits.set(key, list);
    if (this.hits.size > 50_000) this.hits.delete(this.hits.keys().next().value!);
    return true;
  }

  retryAfterMinutes(key: string, now: Date): number {
    const list = this.hits.get(key) ?? [];
    const oldest = list[0] ?? now.getTime();
    return Math.max(1, Math.ceil((oldest + this.windowMs - now.getTime()) / MINUTE));
  }
}

/** N failed ownership checks on an order lock it for a while, whoever tries (stored, survives restarts). */
export class VerifyGuard {
  constructor(private readonly db: Db, private readonly opts: { maxFailures: number; lockMinutes: number }) {}

  lockedUntil(orderNo: string, now: Date): Date | undefined {
    const until = this.db.prepare('SELECT locked_until FROM verify_attempts WHERE order_no = ?').pluck().get(orderNo) as number | null | undefined;
    return until && until > now.getTime() ? new Date(until) : undefined;
  }

  /** Records a failure; returns how many tries are left (0 = now locked). */
  fail(orderNo: string, now: Date): number {
    const t = now.getTime();
    const row = this.db.prepare('SELECT failures, locked_until FROM verify_attempts WHERE order_no = ?').get(orderNo) as { failures: number; locked_until: number | null } | undefined;
    let failures = (row && !(row.locked_until && row.locked_until <= t) ? row.failures : 0) + 1;
    let lockedUntil: number | null = null;
    if (failures >= this.opts.maxFailures) {
      lockedUntil = t + this.opts.lockMinutes * MINUTE;
    }
    this.db.prepare('INSERT OR REPLACE INTO verify_attempts (order_no, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)').run(orderNo, failures, lockedUntil, t);
    if (lockedUntil) failures = this.opts.maxFailures;
    return Math.max(0, this.opts.maxFailures - failures);
  }

  reset(orderNo: string): void {
    this.db.prepare('DELETE FROM verify_attempts WHERE order_no = ?').run(orderNo);
  }
}
