/**
 * "到了告诉我": a buyer's watch on one order, kept in the database so it survives a restart and
 * is worked by one instance at a time (claimed with a lease; PostgreSQL: SKIP LOCKED).
 */
import type { ConversationKey } from '../handoff/index.js';
import type { OwnershipProof } from '../orders/port.js';

export type WatchState = 'active' | 'done' | 'stopped' | 'expired';

export interface Watch {
  id: string;
  channelId: string;
  conversationId: string;
  userId: string;
  orderNo: string;
  conversationRef: unknown;
  /** The buyer was shown the order with its numbers masked (found by a courier number). */
  masked: boolean;
  /** What the shop needs to show the order at all (Dujiao-Next: email and order password), if anything. */
  proof?: OwnershipProof;
  /** The order's state as last told to the buyer (see fingerprint()). */
  fingerprint: string;
  state: WatchState;
  intervalMin: number;
  nextCheckAt: number;
  expiresAt: number;
  notified: number;
  failures: number;
  createdAt: number;
}

export type NewWatch = Omit<Watch, 'state' | 'notified' | 'failures'>;

export interface WatchRepo {
  /** Adds an active watch; false when this conversation already watches this order. */
  add(w: NewWatch): Promise<boolean>;
  active(c: ConversationKey, orderNo?: string): Promise<Watch[]>;
  /** Stops the conversation's watches (all, or the one on `orderNo`); how many stopped. */
  stop(c: ConversationKey, now: number, orderNo?: string): Promise<number>;
  /** Active watches due now that nobody holds, claimed for `leaseMs`. */
  claimDue(now: number, leaseMs: number, owner: string, limit: number): Promise<Watch[]>;
  /** A shop event: the order's active watches are checked at once. */
  wake(orderNo: string, now: number): Promise<number>;
  /** After a check with nothing to tell (or a failure): the next check, claim released. */
  reschedule(id: string, next: { nextCheckAt: number; intervalMin: number; failures: number; state?: WatchState }, now: number): Promise<void>;
  /**
   * Records that the buyer is told `to` (only if the watch still says `from`: a second instance, or
   * a retry, tells nothing twice). Runs inside the delivery's transaction; true when it recorded.
   */
  markNotified(id: string, from: string, to: string, state: WatchState, now: number): Promise<boolean>;
  count(state?: WatchState): Promise<number>;
}
