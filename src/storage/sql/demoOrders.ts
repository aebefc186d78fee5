/** The demo shop's orders in SQL (both backends): the document, and the columns lookups use. */
import type { DemoOrderRepo, DemoOrderRow, StoredDemoOrder } from '../../orders/demo/demoOrderService.js';
import type { CandidateQuery } from '../../orders/port.js';
import type { Param, Sql } from '../sql.js';

export class SqlDemoOrderRepo implements DemoOrderRepo {
  constructor(private readonly sql: Sql) {}

  async allOrderNos(limit: number): Promise<string[]> {
    return (await this.sql.all<{ order_no: string }>('SELECT order_no FROM demo_orders ORDER BY created_at DESC LIMIT ?', [limit])).map((r) => r.order_no);
  }

  async count(): Promise<number> {
    return Number((await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM demo_orders'))?.n ?? 0);
  }

  async upsert(rows: StoredDemoOrder[]): Promise<void> {
    await this.sql.tx(async () => {
      for (const r of rows) {
        await this.sql.run(
          `INSERT INTO demo_orders (order_no, buyer_user_id, buyer_contact, buyer_email, query_password_hash, product_type, status, created_at, paid_at, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (order_no) DO UPDATE SET buyer_user_id = excluded.buyer_user_id, buyer_contact = excluded.buyer_contact, buyer_email = excluded.buyer_email,
             query_password_hash = excluded.query_password_hash, product_type = excluded.product_type, status = excluded.status,
             created_at = excluded.created_at, paid_at = excluded.paid_at, doc = excluded.doc`,
          [r.orderNo, r.userId, r.contact, r.email, r.passwordHash, r.productType, r.status, r.createdAt, r.paidAt, r.doc],
        );
        for (const alt of r.altNos)
          await this.sql.run('INSERT INTO demo_order_alt_nos (alt_no, order_no) VALUES (?, ?) ON CONFLICT (alt_no) DO UPDATE SET order_no = excluded.order_no', [alt, r.orderNo]);
      }
    });
  }

  byNo(orderNo: string): Promise<DemoOrderRow | undefined> {
    return this.sql.get<DemoOrderRow>('SELECT doc, query_password_hash FROM demo_orders WHERE order_no = ?', [orderNo]);
  }

  byAlt(altNo: string): Promise<DemoOrderRow | undefined> {
    return this.sql.get<DemoOrderRow>('SELECT o.doc, o.query_password_hash FROM demo_order_alt_nos a JOIN demo_orders o ON o.order_no = a.order_no WHERE a.alt_no = ?', [altNo]);
  }

  async candidates(q: CandidateQuery & { contact?: string; email?: string }): Promise<DemoOrderRow[]> {
    const who: string[] = [];
    const params: Param[] = [];
    if (q.userId) {
      who.push('buyer_user_id = ?');
      params.push(q.userId);
    }
    if (q.contact) {
      who.push('buyer_contact = ?');
      params.push(q.contact);
    }
    if (q.email) {
      who.push('buyer_email = ?');
      params.push(q.email);
    }
    if (who.length === 0) return []; // never list orders without knowing whose
    let text = `SELECT doc, query_password_hash FROM demo_orders WHERE (${who.join(' OR ')})`;
    if (q.paidFrom) {
      text += ' AND COALESCE(paid_at, created_at) >= ?';
      params.push(q.paidFrom.getTime());
    }
    if (q.paidTo) {
      text += ' AND COALESCE(paid_at, created_at) <= ?';
      params.push(q.paidTo.getTime());
    }
    if (q.productType) {
      text += ' AND product_type = ?';
      params.push(q.productType);
    }
    text += ' ORDER BY COALESCE(paid_at, created_at) DESC LIMIT ?';
    params.push(q.limit ?? 5);
    return this.sql.all<DemoOrderRow>(text, params);
  }
}
