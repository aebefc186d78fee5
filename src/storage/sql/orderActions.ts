/** Agents' actions on orders in SQL (both backends); see src/orders/actions.ts. */
import type { OrderActionRepo, StoredAction } from '../../orders/actions.js';
import type { Sql } from '../sql.js';

export class SqlOrderActionRepo implements OrderActionRepo {
  constructor(private readonly sql: Sql) {}

  async add(a: StoredAction): Promise<void> {
    await this.sql.run('INSERT INTO order_actions (id, order_no, kind, payload, agent_id, at) VALUES (?, ?, ?, ?, ?, ?)', [
      a.id,
      a.orderNo,
      a.action.kind,
      JSON.stringify(a.action),
      a.agentId,
      a.at,
    ]);
  }

  async forOrder(orderNo: string): Promise<StoredAction[]> {
    const rows = await this.sql.all<{ id: string; order_no: string; payload: string; agent_id: string; at: number | string }>(
      'SELECT id, order_no, payload, agent_id, at FROM order_actions WHERE order_no = ? ORDER BY at, id',
      [orderNo],
    );
    return rows.map((r) => ({ id: r.id, orderNo: r.order_no, action: JSON.parse(r.payload), agentId: r.agent_id, at: Number(r.at) }));
  }
}
