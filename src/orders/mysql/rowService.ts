/**
 * What the database adapters (dujiaoka, acg-faka) share: a row is read by order number, mapped to
 * the unified order, masked before it leaves, and revealed only for a proof the row accepts.
 */
import { maskOrder } from '../masking.js';
import type { Delivery, ProductType, UnifiedOrder } from '../model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from '../port.js';

export abstract class ShopRowService<R> implements OrderService {
  /** The row of this order number (undefined when there is none, or the number cannot be one). */
  protected abstract row(orderNo: string): Promise<R | undefined>;
  /** The row as the unified order, secrets in plaintext (never returned as such). */
  protected abstract toOrder(row: R): UnifiedOrder;
  /** Whether the proof shows that this row's order is the buyer's. */
  protected abstract proves(row: R, proof: OwnershipProof): boolean;

  abstract findByAltNo(altNo: string): Promise<UnifiedOrder | null>;
  abstract findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]>;

  protected shown(row: R): UnifiedOrder {
    return maskOrder(this.toOrder(row));
  }

  /** Rows as masked orders, of the product type asked for (ours, not the shop's), at most `limit`. */
  protected candidates(rows: R[], productType: ProductType | undefined, limit: number): UnifiedOrder[] {
    return rows
      .map((r) => this.shown(r))
      .filter((o) => !productType || o.productType === productType)
      .slice(0, limit);
  }

  async findByOrderNo(orderNo: string): Promise<UnifiedOrder | null> {
    const row = await this.row(orderNo);
    return row ? this.shown(row) : null;
  }

  async verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean> {
    const row = await this.row(orderNo);
    return !!row && this.proves(row, proof);
  }

  async revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    const row = await this.row(orderNo);
    if (!row || !this.proves(row, proof)) return null;
    return this.toOrder(row).delivery ?? null;
  }
}
