/**
 * The demo shop: orders in our own database (storage/sql/demoOrders.ts), shaped like the unified model.
 * Query passwords are stored as scrypt hashes; secrets leave only through revealDelivery.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { maskOrder, normalizeContact } from '../masking.js';
import { UnifiedOrder, type Delivery, type UnifiedOrderInput } from '../model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from '../port.js';

/** A seed record may carry the checkout query password; it is hashed and never stored plainly. */
export type DemoOrderRecord = UnifiedOrderInput & { queryPassword?: string };

/** Demo orders flagged with a query password but given none get this one (documented in the README). */
export const DEMO_QUERY_PASSWORD = '8888';

export interface DemoOrderRow {
  doc: string;
  query_password_hash: string | null;
}
/** An order as stored: the lookup columns (contacts normalized, times in ms) and the document. */
export interface StoredDemoOrder {
  orderNo: string;
  userId: string | null;
  contact: string | null;
  email: string | null;
  passwordHash: string | null;
  productType: string;
  status: string;
  createdAt: number;
  paidAt: number | null;
  doc: string;
  /** Upper-cased alternative numbers (payment transaction, courier number). */
  altNos: string[];
}
export interface DemoOrderRepo {
  allOrderNos(limit: number): Promise<string[]>;
  count(): Promise<number>;
  upsert(rows: StoredDemoOrder[]): Promise<void>;
  byNo(orderNo: string): Promise<DemoOrderRow | undefined>;
  byAlt(altNo: string): Promise<DemoOrderRow | undefined>;
  /** Contacts already normalized. */
  candidates(q: CandidateQuery): Promise<DemoOrderRow[]>;
}
type Row = DemoOrderRow;

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}
function checkPassword(password: string, stored: string): boolean {
  const [salt, hash] = stored.split(':');
  if (!salt || !hash) return false;
  const actual = scryptSync(password, Buffer.from(salt, 'hex'), 32);
  return timingSafeEqual(actual, Buffer.from(hash, 'hex'));
}

export class DemoOrderService implements OrderService {
  constructor(private readonly repo: DemoOrderRepo) {}

  allOrderNos(limit = 500): Promise<string[]> {
    return this.repo.allOrderNos(limit);
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  /** Insert or replace orders (validated against the unified model). */
  upsert(records: DemoOrderRecord[]): Promise<void> {
    // scrypt is slow by design; a bulk load hashes each distinct password once (salt shared within the batch).
    const hashes = new Map<string, string>();
    const hashed = (pw: string) => hashes.get(pw) ?? hashes.set(pw, hashPassword(pw)).get(pw)!;
    const rows = records.map((record): StoredDemoOrder => {
      const { queryPassword, ...input } = record;
      const order = UnifiedOrder.parse(input);
      const password = queryPassword ?? (order.buyer.hasQueryPassword ? DEMO_QUERY_PASSWORD : undefined);
      if (password) order.buyer.hasQueryPassword = true;
      const altNos = order.altNos.map((a) => a.toUpperCase());
      // Buyers paste the courier number too: it leads to the order like any alternative number.
      if (order.delivery?.kind === 'tracking_number') altNos.push(order.delivery.trackingNo.toUpperCase());
      return {
        orderNo: order.orderNo,
        userId: order.buyer.userId ?? null,
        contact: order.buyer.contact ? normalizeContact(order.buyer.contact) : null,
        email: order.buyer.email ? normalizeContact(order.buyer.email) : null,
        passwordHash: password ? hashed(password) : null,
        productType: order.productType,
        status: order.status,
        createdAt: Date.parse(order.createdAt),
        paidAt: order.paidAt ? Date.parse(order.paidAt) : null,
        doc: JSON.stringify(order),
        altNos,
      };
    });
    return this.repo.upsert(rows);
  }

  async findByOrderNo(orderNo: string): Promise<UnifiedOrder | null> {
    const row = (await this.repo.byNo(orderNo.toUpperCase())) ?? (await this.repo.byNo(orderNo));
    return row ? maskOrder(JSON.parse(row.doc)) : null;
  }

  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const row = await this.repo.byAlt(altNo.toUpperCase());
    return row ? maskOrder(JSON.parse(row.doc)) : null;
  }

  async findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]> {
    const rows = await this.repo.candidates({ ...q, contact: q.contact ? normalizeContact(q.contact) : undefined, email: q.email ? normalizeContact(q.email) : undefined });
    return rows.map((r) => maskOrder(JSON.parse(r.doc)));
  }

  async verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean> {
    const row = await this.repo.byNo(orderNo.toUpperCase());
    if (!row) return false;
    return this.check(JSON.parse(row.doc) as UnifiedOrder, row, proof);
  }

  async revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    const row = await this.repo.byNo(orderNo.toUpperCase());
    if (!row) return null;
    const order = JSON.parse(row.doc) as UnifiedOrder;
    if (!this.check(order, row, proof)) return null;
    return order.delivery ?? null;
  }

  private check(order: UnifiedOrder, row: Row, proof: OwnershipProof): boolean {
    if (proof.staff?.agentId && proof.staff.reason) return true;
    if (proof.userId && order.buyer.userId && proof.userId === order.buyer.userId) return true;
    const typed = [proof.contact, proof.email].filter((x): x is string => !!x).map(normalizeContact);
    const known = [order.buyer.contact, order.buyer.email].filter((x): x is string => !!x).map(normalizeContact);
    const second = typed.some((t) => t.length >= 5 && known.includes(t));
    if (!second) return false;
    if (row.query_password_hash) return !!proof.queryPassword && checkPassword(proof.queryPassword.trim(), row.query_password_hash);
    return true;
  }
}
