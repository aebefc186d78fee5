/**
 * The order service over the `http` shop contract. Whatever the shop answers is validated
 * (client.ts) and masked here again — a shop that forgets to mask must not leak a code through the
 * bot — except the reveal answer, which is the one place plaintext is meant to travel.
 */
import type pino from 'pino';
import { ShopUnavailableError } from '../errors.js';
import { maskOrder, normalizeContact } from '../masking.js';
import type { Delivery, UnifiedOrder } from '../model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from '../port.js';
import type { ShopApiClient } from './client.js';
import { MAX_CANDIDATES, OrderAnswer, OrdersAnswer, RevealAnswer, VerifyAnswer, type WireCandidateQuery, type WireProof } from './contract.js';

/** Candidates asked for when the caller names no limit (the demo shop's default). */
const DEFAULT_CANDIDATES = 5;

const sameNo = (a: string, b: string) => a.trim().toUpperCase() === b.trim().toUpperCase();

export class HttpOrderService implements OrderService {
  constructor(
    private readonly client: ShopApiClient,
    private readonly logger: pino.Logger,
  ) {}

  async findByOrderNo(orderNo: string): Promise<UnifiedOrder | null> {
    const { order } = await this.client.call('byNumber', { orderNo }, OrderAnswer, () => ({ order: null }));
    if (!order) return null;
    // Another order than the one asked for is a shop bug that would show a stranger's order.
    if (!sameNo(order.orderNo, orderNo)) throw new ShopUnavailableError('http', 'bad_response', '/orders/by-number: answered another order than the one asked for');
    return maskOrder(order);
  }

  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const { order } = await this.client.call('byAltNumber', { altNo }, OrderAnswer, () => ({ order: null }));
    return order ? maskOrder(order) : null;
  }

  async findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]> {
    const who = { userId: q.userId || undefined, contact: q.contact?.trim() || undefined, email: q.email?.trim() || undefined };
    if (!who.userId && !who.contact && !who.email) return []; // never list orders without knowing whose
    const limit = Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_CANDIDATES)), MAX_CANDIDATES);
    const query: WireCandidateQuery = {
      ...who,
      paidFrom: q.paidFrom?.toISOString(),
      paidTo: q.paidTo?.toISOString(),
      productType: q.productType,
      limit,
    };
    const { orders } = await this.client.call('candidates', dropUndefined(query), OrdersAnswer);
    // The shop is asked to filter; the answer is checked anyway, before masking hides the contacts.
    const kept = orders.filter((o) => belongsTo(o, who) && withinQuery(o, q));
    if (kept.length < orders.length) this.logger.warn({ answered: orders.length, kept: kept.length }, 'shop returned candidates outside the query; dropped');
    return kept
      .sort((a, b) => paidOrCreated(b) - paidOrCreated(a))
      .slice(0, limit)
      .map(maskOrder);
  }

  async verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean> {
    const { verified } = await this.client.call('verify', { orderNo, proof: wireProof(proof) }, VerifyAnswer, () => ({ verified: false }));
    return verified;
  }

  async revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    const { delivery } = await this.client.call('reveal', { orderNo, proof: wireProof(proof) }, RevealAnswer, () => ({ delivery: null }));
    return delivery;
  }
}

function wireProof(p: OwnershipProof): WireProof {
  return dropUndefined({
    userId: p.userId || undefined,
    contact: p.contact || undefined,
    email: p.email || undefined,
    queryPassword: p.queryPassword || undefined,
    staff: p.staff ? { agentId: p.staff.agentId, reason: p.staff.reason } : undefined,
  });
}

/** The order is the buyer's by one of the identities asked about (shops send buyer fields unmasked). */
function belongsTo(o: UnifiedOrder, who: { userId?: string; contact?: string; email?: string }): boolean {
  if (who.userId && o.buyer.userId === who.userId) return true;
  const known = [o.buyer.contact, o.buyer.email].filter((x): x is string => !!x).map(normalizeContact);
  return [who.contact, who.email].some((t) => !!t && known.includes(normalizeContact(t)));
}

function withinQuery(o: UnifiedOrder, q: CandidateQuery): boolean {
  if (q.productType && o.productType !== q.productType) return false;
  const at = paidOrCreated(o);
  if (q.paidFrom && at < q.paidFrom.getTime()) return false;
  if (q.paidTo && at > q.paidTo.getTime()) return false;
  return true;
}

const paidOrCreated = (o: UnifiedOrder) => Date.parse(o.paidAt ?? o.createdAt);

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
