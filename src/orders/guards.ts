/** Abuse limits around orders: lookup rate per buyer, and the verification lock per order. */
import { MINUTE } from '../time.js';

/** Hit times of one key, oldest first; `head` skips those that left the window. */
interface Hits {
  times: number[];
  head: number;
}

/** A rate limit: `take` records a hit when the key is within its limit. */
export interface Limiter {
  /** Records one hit; false when the key is over its limit (the hit is then not recorded). */
  take(key: string, now: Date): Promise<boolean>;
  /** Whether one more hit would be within the limit (records nothing). */
  allows(key: string, now: Date): Promise<boolean>;
  retryAfterMinutes(key: string, now: Date): Promise<number>;
}

/** Makes the limits of one deployment: in memory for one process, in the database for several. */
export type LimiterFactory = (name: string, max: number, windowMs: number) => Limiter;

/** Sliding-window counter in memory (per process); keys are buyer ids, conversations, addresses. */
export class RateLimiter implements Limiter {
  private readonly hits = new Map<string, Hits>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Records one hit; false when the key is over its limit (the hit is then not recorded). */
  async take(key: string, now: Date): Promise<boolean> {
    return this.takeNow(key, now);
  }

  private takeNow(key: string, now: Date): boolean {
    if (!this.allowsNow(key, now)) return false;
    const h = this.hits.get(key);
    if (h) h.times.push(now.getTime());
    else this.hits.set(key, { times: [now.getTime()], head: 0 });
    if (this.hits.size > 50_000) this.hits.delete(this.hits.keys().next().value!);
    return true;
  }

  /** Whether one more hit would be within the limit (records nothing). Amortised O(1). */
  async allows(key: string, now: Date): Promise<boolean> {
    return this.allowsNow(key, now);
  }

  private allowsNow(key: string, now: Date): boolean {
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

  async retryAfterMinutes(key: string, now: Date): Promise<number> {
    const h = this.hits.get(key);
    const oldest = h?.times[h.head] ?? now.getTime();
    return Math.max(1, Math.ceil((oldest + this.windowMs - now.getTime()) / MINUTE));
  }
}

/**
 * One hit against several limits at once (a buyer, their conversation, their address): taken from
 * all of them, or from none when any is used up. Returns the key that refused, if one did.
 */
export async function takeAll(checks: Array<{ limiter: Limiter; key: string }>, now: Date): Promise<{ limiter: Limiter; key: string } | undefined> {
  for (const c of checks) if (!(await c.limiter.allows(c.key, now))) return c;
  // Another instance may have taken the last hit in between: a key that refuses now still refuses.
  for (const c of checks) if (!(await c.limiter.take(c.key, now))) return c;
  return undefined;
}

/** One failure counter (per order, or per order and claimant). */
export interface Counter {
  failures: number;
  lockedUntil: number | null;
  updatedAt: number;
}

/** Where the counters are kept (storage/sql/guards.ts). */
export interface VerifyRepo {
  /** The order's counter, then each claimant's. */
  read(orderNo: string, claimants: string[]): Promise<Array<Counter | undefined>>;
  /** Sets each claimant's counter, then the order's, to `next` of its current value, all at once; the new values. */
  bump(orderNo: string, claimants: string[], next: (row: Counter | undefined, scope: 'claimant' | 'order') => Counter): Promise<Counter[]>;
  reset(orderNo: string, claimants: string[]): Promise<void>;
}

/**
 * Failed ownership checks, counted per claimant and per order (stored: survives restarts, holds
 * across instances). One claimant (a conversation, a logged-in buyer, a client address or WeChat
 * user: every key of the turn counts) gets `maxFailures` tries on an order before *they* are
 * locked out of it for a while; an order tried `orderMaxFailures` times in all, by however many
 * claimants, is locked for every anonymous claimant (guessing spread over many addresses). A buyer
 * the shop's own login proves to be the owner never asks the guard: nobody can lock them out.
 */
export class VerifyGuard {
  constructor(
    private readonly repo: VerifyRepo,
    private readonly opts: { maxFailures: number; orderMaxFailures: number; lockMinutes: number },
  ) {}

  /** When the order is locked for any of these claimants (or for everyone anonymous), until when. */
  async lockedUntil(orderNo: string, claimants: string[], now: Date): Promise<Date | undefined> {
    const t = now.getTime();
    const until = Math.max(0, ...(await this.repo.read(orderNo, claimants)).map((c) => c?.lockedUntil ?? 0));
    return until > t ? new Date(until) : undefined;
  }

  /** Records a failure for every claimant key and the order; returns how many tries are left (0 = now locked). */
  async fail(orderNo: string, claimants: string[], now: Date): Promise<number> {
    const t = now.getTime();
    const lockMs = this.opts.lockMinutes * MINUTE;
    const maxOf = (scope: 'claimant' | 'order') => (scope === 'order' ? this.opts.orderMaxFailures : this.opts.maxFailures);
    const counters = await this.repo.bump(orderNo, claimants, (row, scope) => {
      // A lock that has run out, or a window gone quiet, starts again.
      const stale = !row || (row.lockedUntil !== null && row.lockedUntil <= t) || (row.lockedUntil === null && row.updatedAt <= t - lockMs);
      const failures = (stale ? 0 : row.failures) + 1;
      return { failures, lockedUntil: failures >= maxOf(scope) ? t + lockMs : null, updatedAt: t };
    });
    const scopes = [...claimants.map(() => 'claimant' as const), 'order' as const];
    return Math.min(...counters.map((c, i) => Math.max(0, maxOf(scopes[i]!) - c.failures)));
  }

  /** A claimant proved ownership: their count starts again, and so does the order's. */
  reset(orderNo: string, claimants: string[]): Promise<void> {
    return this.repo.reset(orderNo, claimants);
  }
}
