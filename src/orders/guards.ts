/** Abuse limits around orders: lookup rate per buyer, and the verification lock per order. */
import type { Db } from '../storage/db.js';
import { MINUTE } from '../time.js';

/** Hit times of one key, oldest first; `head` skips those that left the window. */
interface Hits {
  times: number[];
  head: number;
}

/** Sliding-window counter in memory (per process); keys are buyer ids, conversations, addresses. */
export class RateLimiter {
  private readonly hits = new Map<string, Hits>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Records one hit; false when the key is over its limit (the hit is then not recorded). */
  take(key: string, now: Date): boolean {
    if (!this.allows(key, now)) return false;
    const h = this.hits.get(key);
    if (h) h.times.push(now.getTime());
    else this.hits.set(key, { times: [now.getTime()], head: 0 });
    if (this.hits.size > 50_000) this.hits.delete(this.hits.keys().next().value!);
    return true;
  }

  /** Whether one more hit would be within the limit (records nothing). Amortised O(1). */
  allows(key: string, now: Date): boolean {
    const h = this.hits.get(key);
    if (!h) return true;
    const from = now.getTime() - this.windowMs;
    while (h.head < h.times.length && h.times[h.head]! <= from) h.head++;
    if (h.head > 64 && h.head * 2 > h.times.length) {
      h.times = h.times.slice(h.head);
      h.head = 0;
    }
    return h.times.length - h.head < this.max;
  }

  retryAfterMinutes(key: string, now: Date): number {
    const h = this.hits.get(key);
    const oldest = h?.times[h.head] ?? now.getTime();
    return Math.max(1, Math.ceil((oldest + this.windowMs - now.getTime()) / MINUTE));
  }
}

/**
 * One hit against several limits at once (a buyer, their conversation, their address): taken from
 * all of them, or from none when any is used up. Returns the key that refused, if one did.
 */
export function takeAll(checks: Array<{ limiter: RateLimiter; key: string }>, now: Date): { limiter: RateLimiter; key: string } | undefined {
  const refused = checks.find((c) => !c.limiter.allows(c.key, now));
  if (refused) return refused;
  for (const c of checks) c.limiter.take(c.key, now);
  return undefined;
}

/**
 * Failed ownership checks, counted per claimant and per order (stored: survives restarts). One
 * claimant (a conversation, a logged-in buyer, a client address or WeChat user: every key of the
 * turn counts) gets `maxFailures` tries on an order before *they* are locked out of it for a
 * while; an order tried `orderMaxFailures` times in all, by however many claimants, is locked for
 * every anonymous claimant (guessing spread over many addresses). A buyer the shop's own login
 * proves to be the owner never asks the guard: nobody can lock them out.
 */
export class VerifyGuard {
  private readonly sql;

  constructor(
    db: Db,
    private readonly opts: { maxFailures: number; orderMaxFailures: number; lockMinutes: number },
  ) {
    this.sql = {
      claimant: db.prepare<[string, string], { failures: number; locked_until: number | null; updated_at: number }>(
        'SELECT failures, locked_until, updated_at FROM verify_failures WHERE order_no = ? AND claimant = ?',
      ),
      putClaimant: db.prepare('INSERT OR REPLACE INTO verify_failures (order_no, claimant, failures, locked_until, updated_at) VALUES (?, ?, ?, ?, ?)'),
      order: db.prepare<[string], { failures: number; locked_until: number | null; updated_at: number }>(
        'SELECT failures, locked_until, updated_at FROM verify_attempts WHERE order_no = ?',
      ),
      putOrder: db.prepare('INSERT OR REPLACE INTO verify_attempts (order_no, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)'),
      resetClaimant: db.prepare('DELETE FROM verify_failures WHERE order_no = ? AND claimant = ?'),
      resetOrder: db.prepare('DELETE FROM verify_attempts WHERE order_no = ?'),
    };
    this.failAll = db.transaction((orderNo: string, claimants: string[], t: number) => {
      let left = Infinity;
      for (const c of claimants)
        left = Math.min(
          left,
          this.count(this.sql.claimant.get(orderNo, c), t, this.opts.maxFailures, (n, until) => this.sql.putClaimant.run(orderNo, c, n, until, t)),
        );
      left = Math.min(
        left,
        this.count(this.sql.order.get(orderNo), t, this.opts.orderMaxFailures, (n, until) => this.sql.putOrder.run(orderNo, n, until, t)),
      );
      return left;
    }).immediate;
  }

  private readonly failAll: (orderNo: string, claimants: string[], t: number) => number;

  /** When the order is locked for any of these claimants (or for everyone anonymous), until when. */
  lockedUntil(orderNo: string, claimants: string[], now: Date): Date | undefined {
    const t = now.getTime();
    const untils = [this.sql.order.get(orderNo)?.locked_until, ...claimants.map((c) => this.sql.claimant.get(orderNo, c)?.locked_until)];
    const until = Math.max(0, ...untils.map((u) => u ?? 0));
    return until > t ? new Date(until) : undefined;
  }

  /** Records a failure for every claimant key and the order; returns how many tries are left (0 = now locked). */
  fail(orderNo: string, claimants: string[], now: Date): number {
    return this.failAll(orderNo, claimants, now.getTime());
  }

  /** A claimant proved ownership: their count starts again, and so does the order's. */
  reset(orderNo: string, claimants: string[]): void {
    for (const c of claimants) this.sql.resetClaimant.run(orderNo, c);
    this.sql.resetOrder.run(orderNo);
  }

  /** One counter's next value (a lock that has run out, or a window gone quiet, starts again). */
  private count(
    row: { failures: number; locked_until: number | null; updated_at: number } | undefined,
    t: number,
    max: number,
    put: (n: number, until: number | null) => void,
  ): number {
    const lockMs = this.opts.lockMinutes * MINUTE;
    const stale = !row || (row.locked_until !== null && row.locked_until <= t) || (row.locked_until === null && row.updated_at <= t - lockMs);
    const failures = (stale ? 0 : row.failures) + 1;
    const until = failures >= max ? t + lockMs : null;
    put(failures, until);
    return Math.max(0, max - failures);
  }
}
