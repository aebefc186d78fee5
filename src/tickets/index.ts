/** Support tickets: the "contact" rung. A ticket holds everything an agent needs to answer once. */
import type { Policy } from '../config.js';
import { ticketDue } from '../diagnosis/index.js';
import type { Db } from '../storage/db.js';
import { localFields, toShopIso } from '../time.js';

export interface NewTicket {
  conversationId: string;
  channelId: string;
  userId: string;
  orderNo?: string;
  paymentTime?: string;
  productType?: string;
  cause?: string;
  /** What the bot told the buyer about the order (the agent answers from the same picture). */
  told?: string;
  symptom: string;
  /** Where to reach the buyer with the answer. */
  conversationRef?: unknown;
}

export interface Ticket extends NewTicket {
  id: string;
  status: 'open' | 'answered' | 'closed';
  answer?: string;
  answeredAt?: string;
  createdAt: string;
  dueAt: string;
}

export class TicketService {
  constructor(
    private readonly db: Db,
    private readonly policy: Policy,
  ) {}

  create(t: NewTicket, now: Date): Ticket {
    const f = localFields(now, this.policy.timeZone);
    const day = `${String(f.year).slice(2)}${String(f.month).padStart(2, '0')}${String(f.day).padStart(2, '0')}`;
    // Answered in agent time: a ticket filed at night is due hours after the agents start, not at dawn.
    const due = ticketDue(now, this.policy);
    return this.db
      .transaction(() => {
        // Range on the primary key (LIKE would scan every ticket).
        const n = (this.db.prepare('SELECT COUNT(*) FROM tickets WHERE id >= ? AND id < ?').pluck().get(`T${day}`, `T${day}~`) as number) + 1;
        const ticket: Ticket = {
          ...t,
          id: `T${day}${String(n).padStart(4, '0')}`,
          status: 'open',
          createdAt: toShopIso(now, this.policy.timeZone),
          dueAt: toShopIso(due, this.policy.timeZone),
        };
        this.db
          .prepare(`INSERT INTO tickets (id, conversation_id, channel_id, user_id, order_no, payment_time, product_type, cause, told, symptom, status, created_at, due_at, conversation_ref)
                  VALUES (@id, @conversationId, @channelId, @userId, @orderNo, @paymentTime, @productType, @cause, @told, @symptom, @status, @createdAt, @dueAt, @ref)`)
          .run({
            orderNo: null,
            paymentTime: null,
            productType: null,
            cause: null,
            told: null,
            ...ticket,
            conversationRef: undefined,
            ref: t.conversationRef ? JSON.stringify(t.conversationRef) : null,
          });
        return ticket;
      })
      .immediate();
  }

  get(id: string): Ticket | undefined {
    const row = this.db.prepare('SELECT * FROM tickets WHERE id = ?').get(id) as Record<string, string> | undefined;
    if (!row) return undefined;
    return {
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
    };
  }

  openFor(c: { channelId: string; conversationId: string }, orderNo?: string): Ticket | undefined {
    const id = this.db
      .prepare(
        "SELECT id FROM tickets WHERE channel_id = ? AND conversation_id = ? AND status = 'open' AND COALESCE(order_no, '') = COALESCE(?, '') ORDER BY created_at DESC LIMIT 1",
      )
      .pluck()
      .get(c.channelId, c.conversationId, orderNo ?? null) as string | undefined;
    return id ? this.get(id) : undefined;
  }

  /** Open tickets, the oldest due first (the console's list). */
  open(limit = 200): Ticket[] {
    const ids = this.db.prepare("SELECT id FROM tickets WHERE status = 'open' ORDER BY due_at, id LIMIT ?").pluck().all(limit) as string[];
    return ids.map((id) => this.get(id)!);
  }

  openCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM tickets WHERE status = 'open'").pluck().get() as number;
  }

  /** An agent's answer; false when the ticket is not open any more. */
  answer(id: string, agentId: string, text: string, now: Date): boolean {
    return (
      this.db
        .prepare("UPDATE tickets SET status = 'answered', answer = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status = 'open'")
        .run(text, agentId, toShopIso(now, this.policy.timeZone), id).changes === 1
    );
  }
}
