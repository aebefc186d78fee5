/** Support tickets in SQL (both backends). Ticket numbers count per day through `counters`, never MAX+1. */
import type { Ticket, TicketRepo } from '../../tickets/index.js';
import type { Sql } from '../sql.js';

const toTicket = (row: Record<string, string>): Ticket => ({
  id: row.id!,
  conversationId: row.conversation_id!,
  channelId: row.channel_id!,
  userId: row.user_id!,
  orderNo: row.order_no ?? undefined,
  paymentTime: row.payment_time ?? undefined,
  productType: row.product_type ?? undefined,
  cause: row.cause ?? undefined,
  told: row.told ?? undefined,
  symptom: row.symptom!,
  status: row.status as Ticket['status'],
  createdAt: row.created_at!,
  dueAt: row.due_at!,
  conversationRef: row.conversation_ref ? JSON.parse(row.conversation_ref) : undefined,
  answer: row.answer ?? undefined,
  answeredAt: row.answered_at ?? undefined,
  claimedBy: row.claimed_by ?? undefined,
  claimedAt: row.claimed_at ?? undefined,
});

/** The next value of a named counter (atomic on both backends: the row is locked until commit). */
export async function nextCount(sql: Sql, name: string): Promise<number> {
  const row = await sql.get<{ value: number }>('INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value', [
    name,
  ]);
  return Number(row!.value);
}

export class SqlTicketRepo implements TicketRepo {
  constructor(private readonly sql: Sql) {}

  async insert(make: (n: number) => Ticket, day: string): Promise<Ticket> {
    return this.sql.tx(async () => {
      const ticket = make(await nextCount(this.sql, `ticket:${day}`));
      await this.sql.run(
        `INSERT INTO tickets (id, conversation_id, channel_id, user_id, order_no, payment_time, product_type, cause, told, symptom, status, created_at, due_at, conversation_ref)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ticket.id,
          ticket.conversationId,
          ticket.channelId,
          ticket.userId,
          ticket.orderNo ?? null,
          ticket.paymentTime ?? null,
          ticket.productType ?? null,
          ticket.cause ?? null,
          ticket.told ?? null,
          ticket.symptom,
          ticket.status,
          ticket.createdAt,
          ticket.dueAt,
          ticket.conversationRef ? JSON.stringify(ticket.conversationRef) : null,
        ],
      );
      return ticket;
    });
  }

  async get(id: string): Promise<Ticket | undefined> {
    const row = await this.sql.get<Record<string, string>>('SELECT * FROM tickets WHERE id = ?', [id]);
    return row ? toTicket(row) : undefined;
  }

  async openFor(c: { channelId: string; conversationId: string }, orderNo?: string): Promise<Ticket | undefined> {
    const row = await this.sql.get<Record<string, string>>(
      "SELECT * FROM tickets WHERE channel_id = ? AND conversation_id = ? AND status = 'open' AND COALESCE(order_no, '') = COALESCE(?, '') ORDER BY created_at DESC LIMIT 1",
      [c.channelId, c.conversationId, orderNo ?? null],
    );
    return row ? toTicket(row) : undefined;
  }

  async open(limit: number): Promise<Ticket[]> {
    return (await this.sql.all<Record<string, string>>("SELECT * FROM tickets WHERE status = 'open' ORDER BY due_at, id LIMIT ?", [limit])).map(toTicket);
  }

  async openCount(): Promise<number> {
    return Number((await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE status = 'open'"))?.n ?? 0);
  }

  async claim(id: string, agentId: string, at: string): Promise<boolean> {
    return (
      (await this.sql.run("UPDATE tickets SET claimed_by = ?, claimed_at = ? WHERE id = ? AND status = 'open' AND (claimed_by IS NULL OR claimed_by = ?)", [
        agentId,
        at,
        id,
        agentId,
      ])) === 1
    );
  }

  async answer(id: string, agentId: string, text: string, at: string): Promise<boolean> {
    return (
      (await this.sql.run("UPDATE tickets SET status = 'answered', answer = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status = 'open'", [text, agentId, at, id])) === 1
    );
  }
}
