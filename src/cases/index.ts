/**
 * Use cases the dialogs ask for (DESIGN §2): each does the work against the services and returns
 * a result; none sends anything or holds a sentence. Dialogs decide what to do with the result and
 * the desk (src/bot/desk.ts) says it.
 */
import type { Hit } from '../knowledge/index.js';
import type { UnifiedOrder, Delivery } from '../orders/model.js';
import type { OwnershipProof } from '../orders/port.js';
import type { BotServices } from '../bot/types.js';

export type OwnershipCheck = { ok: true } | { ok: false; left: number; needsPassword: boolean };

export interface OrderSearch {
  userId?: string;
  contact?: string;
  email?: string;
  from: Date;
  to: Date;
  productType?: UnifiedOrder['productType'];
  /** Only orders of that product type, even when none are found. */
  strictType?: boolean;
}

export class Cases {
  constructor(private readonly s: Pick<BotServices, 'orders' | 'verifyGuard' | 'knowledge'>) {}

  /** The order (masked) when it holds delivered secrets (codes, keys) a proof would reveal. */
  async withSecrets(orderNo: string): Promise<UnifiedOrder | undefined> {
    const order = await this.s.orders.findByOrderNo(orderNo);
    const d = order?.delivery;
    if (!order || !d || (d.kind !== 'card_codes' && d.kind !== 'license_key') || d.items.length === 0) return undefined;
    return order;
  }

  /** Whether the shop's own login proves this buyer owns the order (no lock applies to them). */
  ownerByLogin(orderNo: string, buyerId: string): Promise<boolean> {
    return this.s.orders.verifyOwnership(orderNo, { userId: buyerId });
  }

  /** Until when these claimants (or every anonymous one) may not try this order again. */
  lockedUntil(orderNo: string, claimants: string[], now: Date): Promise<Date | undefined> {
    return this.s.verifyGuard.lockedUntil(orderNo, claimants, now);
  }

  /** Checks a proof of ownership; a failure counts against every claimant key and the order. */
  async verifyOwner(orderNo: string, proof: OwnershipProof, claimants: string[], now: Date): Promise<OwnershipCheck> {
    if (await this.s.orders.verifyOwnership(orderNo, proof)) {
      await this.s.verifyGuard.reset(orderNo, claimants);
      return { ok: true };
    }
    const left = await this.s.verifyGuard.fail(orderNo, claimants, now);
    const order = left > 0 ? await this.s.orders.findByOrderNo(orderNo) : null;
    return { ok: false, left, needsPassword: !!order?.buyer.hasQueryPassword && !proof.queryPassword };
  }

  /** The delivery in full, for a proof the order service accepts. */
  reveal(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    return this.s.orders.revealDelivery(orderNo, proof);
  }

  /** Orders of one buyer in a payment window, the product type first; without it when that finds none (unless strict). */
  async findOrders(q: OrderSearch): Promise<UnifiedOrder[]> {
    const who = { userId: q.userId, contact: q.contact, email: q.email };
    const found = await this.s.orders.findCandidates({ ...who, paidFrom: q.from, paidTo: q.to, productType: q.productType, limit: 5 });
    if (found.length > 0 || !q.productType || q.strictType) return found;
    return this.s.orders.findCandidates({ ...who, paidFrom: q.from, paidTo: q.to, limit: 5 });
  }

  /** Orders by number (those the service knows), in the order given. */
  async ordersByNumber(orderNos: string[]): Promise<UnifiedOrder[]> {
    return (await Promise.all(orderNos.map((no) => this.s.orders.findByOrderNo(no)))).filter((o): o is UnifiedOrder => !!o);
  }

  /** Articles for a general question, best first. */
  searchKnowledge(text: string, limit = 3): Hit[] {
    return text ? this.s.knowledge.search(text, limit) : [];
  }
}
