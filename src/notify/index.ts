/**
 * "到了告诉我" — notify me. A buyer waiting on an order (sync delay, manual review, supplier,
 * parcel) may ask to be told when it moves. The watch is kept in the database; the leader instance
 * checks due watches (claimed with a lease, so two instances never work the same one), by polling
 * with backoff (NOTIFY_POLL_MIN doubling up to NOTIFY_POLL_MAX_MIN) and at once when the shop or the
 * courier says the order may have moved (OrderEvents). On a change the buyer gets the new status
 * and timeline in their own conversation, once per change: the watch's fingerprint is updated in
 * the same transaction that puts the message in the channel's log or outbox. It stops when the
 * order is final, after NOTIFY_MAX_HOURS, or when the buyer says 不用通知了.
 */
import { randomUUID } from 'node:crypto';
import type { ConversationReference } from 'botbuilder';
import type pino from 'pino';
import type { Config } from '../config.js';
import { type Cause, diagnoseOrder } from '../diagnosis/index.js';
import type { ConversationKey } from '../handoff/index.js';
import type { Relay } from '../handoff/relay.js';
import { operatorNote } from '../orders/actions.js';
import { ProofRequiredError } from '../orders/errors.js';
import type { OrderEvents } from '../orders/events.js';
import { maskNumbers } from '../orders/masking.js';
import type { OrderStatus, UnifiedOrder } from '../orders/model.js';
import type { OrderService, OwnershipProof } from '../orders/port.js';
import { explain, maskedDelivery, say } from '../replies/index.js';
import { timeline } from '../replies/timeline.js';
import type { Leadership } from '../storage/cluster.js';
import { type Clock, MINUTE } from '../time.js';
import type { Watch, WatchRepo } from './watches.js';

/** Causes that are a wait the buyer can be told the end of. */
export const WAIT_CAUSES: ReadonlySet<Cause> = new Set(['sync_delay', 'manual_review', 'upstream_pending', 'logistics_pending']);

/** Statuses after which nothing more happens to an order by itself. */
const FINAL: ReadonlySet<OrderStatus> = new Set(['delivered', 'completed', 'refunded', 'partially_refunded', 'canceled', 'expired', 'failed']);

export function isFinal(order: UnifiedOrder): boolean {
  return FINAL.has(order.status);
}

/**
 * What a buyer would call a change: the status, the holds, how much was delivered, the parcel's
 * state and its last scan. Not the times we compute (a derived expiry) or the shop's update time.
 */
export function fingerprint(order: UnifiedOrder): string {
  const d = order.delivery;
  const delivery =
    d?.kind === 'tracking_number'
      ? `parcel:${d.signed ? 'signed' : (d.carrierState ?? '')}:${d.lastEvent?.at ?? ''}`
      : d?.kind === 'topup_receipt'
        ? `topup:${d.upstream?.state ?? ''}:${d.chargedAmount ?? ''}:${d.finishedAt ? 'done' : ''}`
        : d
          ? `codes:${d.items.length}`
          : '';
  // An agent's action (a re-issued code, a refund, a note) is news even when the status stays.
  const operator = order.timeline.filter((e) => e.source === 'operator' && (e.type === 'delivered' || e.type === 'refunded' || e.type === 'note')).length;
  return [order.status, [...order.holdReasons].sort().join('+'), delivery, ...(operator ? [`ops:${operator}`] : [])].join('|');
}

export interface NotifierOptions {
  repo: WatchRepo;
  orders: OrderService;
  relay: Relay;
  events: OrderEvents;
  leader: Leadership;
  clock: Clock;
  config: Config;
  logger: pino.Logger;
  instance: string;
  /** How often the leader looks for due watches (ms). */
  tickMs?: number;
}

export type WatchResult = { ok: true; until: Date } | { ok: false; why: 'already' | 'final' | 'unreachable' };

const LEASE_MS = 60_000;

export class Notifier {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(private readonly o: NotifierOptions) {}

  /** Whether a message can be put in this channel without the buyer writing first. */
  canReach(channelId: string): boolean {
    return this.o.relay.canReach(channelId);
  }

  start(): void {
    this.unsubscribe = this.o.events.on(async (change) => {
      if ((await this.o.repo.wake(change.orderNo, this.o.clock.now().getTime())) > 0) this.kick();
    });
    const every = this.o.tickMs ?? 5000;
    this.timer = setInterval(() => this.kick(), every);
    this.timer.unref();
  }

  /** Checks due watches now (on the leader), unless a check is already running. */
  kick(): void {
    if (this.stopped || !this.o.leader.isLeader() || this.running !== undefined) return;
    this.running = this.tick()
      .catch((err) => {
        this.o.logger.warn({ err }, 'notify: check failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running;
  }

  /** Starts watching an order for a conversation. `order` is what the buyer was just shown. */
  async watch(args: {
    conversation: ConversationKey;
    userId: string;
    ref: Partial<ConversationReference>;
    order: UnifiedOrder;
    masked: boolean;
    proof?: OwnershipProof;
  }): Promise<WatchResult> {
    if (!this.canReach(args.conversation.channelId)) return { ok: false, why: 'unreachable' };
    if (isFinal(args.order)) return { ok: false, why: 'final' };
    const now = this.o.clock.now().getTime();
    const n = this.o.config.notify;
    const until = now + n.maxHours * 60 * MINUTE;
    const added = await this.o.repo.add({
      id: randomUUID(),
      channelId: args.conversation.channelId,
      conversationId: args.conversation.conversationId,
      userId: args.userId,
      orderNo: args.order.orderNo,
      conversationRef: args.ref,
      masked: args.masked,
      proof: args.proof,
      fingerprint: fingerprint(args.order),
      intervalMin: n.pollMin,
      nextCheckAt: now + n.pollMin * MINUTE,
      expiresAt: until,
      createdAt: now,
    });
    return added ? { ok: true, until: new Date(until) } : { ok: false, why: 'already' };
  }

  unwatch(conversation: ConversationKey, orderNo?: string): Promise<number> {
    return this.o.repo.stop(conversation, this.o.clock.now().getTime(), orderNo);
  }

  watching(conversation: ConversationKey): Promise<Watch[]> {
    return this.o.repo.active(conversation);
  }

  /** One pass over the due watches; returns how many buyers were told something. */
  async tick(): Promise<number> {
    const now = this.o.clock.now();
    const due = await this.o.repo.claimDue(now.getTime(), LEASE_MS, this.o.instance, 50);
    let told = 0;
    for (const w of due) {
      try {
        if (await this.check(w, now)) told++;
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message, watch: w.id }, 'notify: watch check failed');
        await this.o.repo.reschedule(w.id, this.backoff(w, now, w.failures + 1), now.getTime());
      }
    }
    return told;
  }

  private backoff(w: Watch, now: Date, failures = 0): { nextCheckAt: number; intervalMin: number; failures: number } {
    const n = this.o.config.notify;
    const intervalMin = Math.min(n.pollMaxMin, Math.max(n.pollMin, w.intervalMin * 2));
    return { nextCheckAt: now.getTime() + intervalMin * MINUTE, intervalMin, failures };
  }

  private async read(w: Watch): Promise<UnifiedOrder | null> {
    try {
      return await this.o.orders.findByOrderNo(w.orderNo);
    } catch (err) {
      // A shop that shows orders only to their owner: the proof the buyer gave, then again.
      if (!(err instanceof ProofRequiredError) || !w.proof) throw err;
      if (!(await this.o.orders.verifyOwnership(w.orderNo, w.proof))) return null;
      return this.o.orders.findByOrderNo(w.orderNo);
    }
  }

  private async check(w: Watch, now: Date): Promise<boolean> {
    const order = await this.read(w);
    const ref = w.conversationRef as Partial<ConversationReference>;
    const rc = { now, tz: this.o.config.timeZone, shopName: this.o.config.shopName };
    if (!order) {
      // Gone from the shop (deleted, or the proof no longer works): say nothing we do not know.
      await this.o.repo.reschedule(w.id, { ...this.backoff(w, now), state: 'stopped' }, now.getTime());
      return false;
    }
    const fp = fingerprint(order);
    if (fp === w.fingerprint) {
      if (now.getTime() >= w.expiresAt) {
        const text = say.notifyExpired(w.masked ? maskNumbers(order).orderNo : order.orderNo, this.o.config.notify.maxHours);
        const sent = await this.o.relay.botSays(w.channelId, ref, text, () => this.o.repo.markNotified(w.id, w.fingerprint, w.fingerprint, 'expired', now.getTime()));
        if (!sent) await this.o.repo.reschedule(w.id, { ...this.backoff(w, now), state: 'expired' }, now.getTime());
        return sent;
      }
      await this.o.repo.reschedule(w.id, this.backoff(w, now), now.getTime());
      return false;
    }
    const shown = w.masked ? maskNumbers(order) : order;
    const d = diagnoseOrder(order, { moneyTaken: false, wantsTracking: false }, now, this.o.config.policy);
    const final = isFinal(order);
    const parts = [say.orderHeader(shown, rc), explain(d, shown, {}, rc)];
    const note = operatorNote(order);
    if (note) parts.push(say.operatorNote(note));
    if (shown.delivery && (final || shown.delivery.kind === 'tracking_number')) parts.push(maskedDelivery(shown.delivery, rc, order.status));
    parts.push(timeline(shown, now, rc.tz));
    const text = say.notifyUpdate(parts.join('\n\n'), final);
    const state = final || now.getTime() >= w.expiresAt ? (final ? 'done' : 'expired') : 'active';
    const sent = await this.o.relay.botSays(w.channelId, ref, text, () => this.o.repo.markNotified(w.id, w.fingerprint, fp, state, now.getTime()));
    if (!sent) {
      await this.o.repo.reschedule(w.id, this.backoff(w, now, w.failures + 1), now.getTime());
      return false;
    }
    // The next change may come soon after this one: start polling quickly again.
    if (state === 'active') {
      const n = this.o.config.notify;
      await this.o.repo.reschedule(w.id, { nextCheckAt: now.getTime() + n.pollMin * MINUTE, intervalMin: n.pollMin, failures: 0 }, now.getTime());
    }
    return true;
  }
}
