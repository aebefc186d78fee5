/**
 * The demo shop: orders in our own SQLite tables, shaped like the unified model.
 * Query passwords are stored as scrypt hashes; secrets leave only through revealDelivery.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../storage/db.js';
import { maskOrder, normalizeContact } from '../masking.js';
import { UnifiedOrder, type Delivery, type UnifiedOrderInput } from '../model.js';
import type { CandidateQuery, OrderService, OwnershipProof } from '../port.js';

/** A seed record may carry the checkout query password; it is hashed and never stored plainly. */
export type DemoOrderRecord = UnifiedOrderInput & { queryPassword?: string };

/** Demo orders flagged with a query password but given none get this one (documented in the README). */
export const DEMO_QUERY_PASSWORD = '8888';

interface Row {
  doc: string;
  query_password_hash: string | null;
}

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
  private readonly byNo;
  private readonly byAlt;

  constructor(private readonly db: Db) {
    this.byNo = db.prepare<[string], Row>('SELECT doc, query_password_hash FROM demo_orders WHERE order_no = ?');
    this.byAlt = db.prepare<[string], Row>('SELECT o.doc, o.query_password_hash FROM demo_order_alt_nos a JOIN demo_orders o ON o.order_no = a.order_no WHERE a.alt_no = ?');
  }

  allOrderNos(limit = 500): string[] {
    return this.db.prepare('SELECT order_no FROM demo_orders ORDER BY created_at DESC LIMIT ?').pluck().all(limit) as string[];
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM demo_orders').pluck().get() as number;
  }

  /** Insert or replace orders (validated against the unified model). */
  upsert(records: DemoOrderRecord[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO demo_orders (order_no, buyer_user_id, buyer_contact, buyer_email, query_password_hash, product_type, status, created_at, paid_at, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertAlt = this.db.prepare('INSERT OR REPLACE INTO demo_order_alt_nos (alt_no, order_no) VALUES (?, ?)');
    // scrypt is slow by design; a bulk load hashes each distinct password once (salt shared within the batch).
    const hashes = new Map<string, string>();
    const hashed = (pw: string) => hashes.get(pw) ?? hashes.set(pw, hashPassword(pw)).get(pw)!;
    this.db
      .transaction(() => {
        for (const record of records) {
          const { queryPassword, ...input } = record;
          const order = UnifiedOrder.parse(input);
          const password = queryPassword ?? (order.buyer.hasQueryPassword ? DEMO_QUERY_PASSWORD : undefined);
          if (password) order.buyer.hasQueryPassword = true;
          insert.run(
            order.orderNo,
            order.buyer.userId ?? null,
            order.buyer.contact ? normalizeContact(order.buyer.contact) : null,
            order.buyer.email ? normalizeContact(order.buyer.email) : null,
            password ? hashed(password) : null,
            order.productType,
            order.status,
            Date.parse(order.createdAt),
            order.paidAt ? Date.parse(order.paidAt) : null,
            JSON.stringify(order),
          );
          for (const alt of order.altNos) insertAlt.run(alt.toUpperCase(), order.orderNo);
          // Buyers paste the courier number too: it leads to the order like any alternative number.
          if (order.delivery?.kind === 'tracking_number') insertAlt.run(order.delivery.trackingNo.toUpperCase(), order.orderNo);
        }
      })
      .immediate();
  }

  async findByOrderNo(orderNo: string): Promise<UnifiedOrder | null> {
    const row = this.byNo.get(orderNo.toUpperCase()) ?? this.byNo.get(orderNo);
    return row ? maskOrder(JSON.parse(row.doc)) : null;
  }

  async findByAltNo(altNo: string): Promise<UnifiedOrder | null> {
    const row = this.byAlt.get(altNo.toUpperCase());
    return row ? maskOrder(JSON.parse(row.doc)) : null;
  }

  async findCandidates(q: CandidateQuery): Promise<UnifiedOrder[]> {
    const who: string[] = [];
    const params: unknown[] = [];
    if (q.userId) {
      who.push('buyer_user_id = ?');
      params.push(q.userId);
    }
    if (q.contact) {
      who.push('buyer_contact = ?');
      params.push(normalizeContact(q.contact));
    }
    if (q.email) {
      who.push('buyer_email = ?');
      params.push(normalizeContact(q.email));
    }
    if (who.length === 0) return []; // never list orders without knowing whose
    let sql = `SELECT doc, query_password_hash FROM demo_orders WHERE (${who.join(' OR ')})`;
    if (q.paidFrom) {
      sql += ' AND COALESCE(paid_at, created_at) >= ?';
      params.push(q.paidFrom.getTime());
    }
    if (q.paidTo) {
      sql += ' AND COALESCE(paid_at, created_at) <= ?';
      params.push(q.paidTo.getTime());
    }
    if (q.productType) {
      sql += ' AND product_type = ?';
      params.push(q.productType);
    }
    sql += ' ORDER BY COALESCE(paid_at, created_at) DESC LIMIT ?';
    params.push(q.limit ?? 5);
    const rows = this.db.prepare(sql).all(...params) as Row[];
    return rows.map((r) => maskOrder(JSON.parse(r.doc)));
  }

  async verifyOwnership(orderNo: string, proof: OwnershipProof): Promise<boolean> {
    const row = this.byNo.get(orderNo.toUpperCase());
    if (!row) return false;
    return this.check(JSON.parse(row.doc) as UnifiedOrder, row, proof);
  }

  async revealDelivery(orderNo: string, proof: OwnershipProof): Promise<Delivery | null> {
    const row = this.byNo.get(orderNo.toUpperCase());
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
