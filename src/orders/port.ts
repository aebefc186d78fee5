/**
 * The order-service port. Adapters (src/orders/registry.ts: the demo shop, dujiaoka, acg-faka,
 * Dujiao-Next, the `http` contract) implement it; nothing outside an adapter knows how orders are
 * stored.
 *
 * Every order returned is masked: delivery secrets carry `masked` only. Plaintext comes back only
 * from `revealDelivery` after the adapter itself checked the proof.
 *
 * Failures are thrown, never answered as "not found": `ShopUnavailableError` when the shop cannot
 * answer, `ProofRequiredError` when it shows the order only to its owner (src/orders/errors.ts).
 */
import type { Delivery, ProductType, UnifiedOrder } from './model.js';

export interface OwnershipProof {
  /** Shop account id of a logged-in buyer, as the channel knows them. */
  userId?: string;
  /** Phone / QQ / other contact typed at checkout. */
  contact?: string;
  email?: string;
  queryPassword?: string;
  /** A signed-in shop agent looking on the buyer's behalf (the console audits every such reveal). */
  staff?: { agentId: string; reason: string };
}

export interface CandidateQuery {
  userId?: string;
  contact?: string;
  email?: string;
  paidFrom?: Date;
  paidTo?: Date;
  productType?: ProductType;
  limit?: number;
}

export interface OrderService {
  findByOrderNo(orderNo: string): Promise<UnifiedOrder | null>;
  /** Payment transaction number, upstream number, child order number… */
  findByAltNo(altNo: string): Promise<UnifiedOrder | null>;
  /** Orders of one buyer (by account id or checkout contact), newest payment first. */
  findCandidates(query: CandidateQuery): Promise<UnifiedOrder[]>;
  verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean>;
  /** The delivery with plaintext secrets, or null when the proof fails or nothing was delivered. */
  revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null>;
}
